import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { PromptTemplate } from "@langchain/core/prompts";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { describe, expect, test } from "vitest";
import type { ParsedCompletionOptions } from "../src/options.js";
import { parseCommonOptions } from "../src/options-fast-path.js";
import { parseWithSchema } from "../src/options-schema.js";
import { seeded } from "./helpers/random.js";

class Handler extends BaseCallbackHandler {
  name = "test";
}

const model = new FakeListChatModel({ responses: ["ok"] });
const template = PromptTemplate.fromTemplate("Q: {input}");
const checkedRegistry = { m: { baseURL: "http://127.0.0.1:9/v1" } };
parseWithSchema({ query: "x", models: checkedRegistry }); // now known to the fast path

function sparse(): unknown[] {
  const array: unknown[] = ["a"];
  array[2] = "c";
  return array;
}

/** Per option, values the schema accepts and values it rejects; `undefined` means "key absent". */
const POOLS: Record<string, () => unknown[]> = {
  query: () => ["x", "", "恼羞成怒", 3, null],
  stream: () => [true, false, "yes", null, 0],
  echo: () => [true, false, 1, null],
  model: () => ["m", "", 42, model, {}, null],
  temperature: () => [0, 1, 0.5, -0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "hot", null],
  maxTokens: () => [10, 0, -1, null, 1.5, 2 ** 53, 1e300, "5", Number.NaN],
  promptName: () => ["default", "a-b_1", "../x", "", 3, "a b"],
  prompt: () => ["{input}", template, 3, {}, null],
  promptsDir: () => ["/tmp", "", 3],
  models: () => [
    checkedRegistry,
    { m: { baseURL: "http://127.0.0.1:9/v1" } }, // valid, never seen
    { m: { baseURL: "not a url" } },
    null,
    "registry",
  ],
  signal: () => [new AbortController().signal, {}, null],
  timeout: () => [5_000, 1, 2 ** 31 - 1, 0, -5, 2 ** 31, Number.POSITIVE_INFINITY, Number.NaN, "1"],
  callbacks: () => [[], [new Handler()], "callbacks", null],
  tags: () => [["a"], [], [1], sparse(), "a"],
  metadata: () => [{ a: 1 }, Object.create(null), new Date(0), [], null, { [Symbol("s")]: 1 }],
  runName: () => ["run", 3],
  max_tokens: () => [10],
};

function randomOptions(next: () => number): unknown {
  const pick = <T>(values: T[]): T => values[Math.floor(next() * values.length)] as T;
  const roll = next();
  if (roll < 0.02) return null;
  if (roll < 0.04) return [{ query: "x" }];
  const options: Record<string, unknown> = {};
  for (const [key, pool] of Object.entries(POOLS)) {
    // Keys are mostly absent (as in real calls), mostly valid when present.
    const chance = key === "query" ? 0.95 : key === "max_tokens" ? 0.03 : 0.35;
    if (next() >= chance) continue;
    const values = pool();
    options[key] = next() < 0.7 ? values[0] : pick(values);
    if (next() < 0.03) options[key] = undefined; // present, but undefined
  }
  if (roll < 0.06) return Object.assign(Object.create({ inherited: true }), options);
  return options;
}

function schemaResult(
  input: unknown,
): { ok: true; value: ParsedCompletionOptions } | { ok: false } {
  try {
    return { ok: true, value: parseWithSchema(input) };
  } catch {
    return { ok: false };
  }
}

describe("the options fast path", () => {
  test("accepts only what the schema accepts, and returns what the schema returns", () => {
    const next = seeded(20261125);
    let fast = 0;
    let schemaOnly = 0;
    let rejected = 0;
    for (let index = 0; index < 4000; index += 1) {
      const input = randomOptions(next);
      const common = parseCommonOptions(input);
      const reference = schemaResult(input);
      if (common !== undefined) {
        fast += 1;
        expect(reference.ok, `schema rejects what the fast path accepted: ${index}`).toBe(true);
        if (reference.ok) expect(common).toEqual(reference.value);
      } else if (reference.ok) {
        schemaOnly += 1;
      } else {
        rejected += 1;
      }
    }
    // The draw must exercise all three outcomes, or the comparison above proves little.
    expect(fast).toBeGreaterThan(500);
    expect(schemaOnly).toBeGreaterThan(10);
    expect(rejected).toBeGreaterThan(500);
  });

  test("defaults are the schema's", () => {
    expect(parseCommonOptions({ query: "x" })).toEqual({
      query: "x",
      stream: false,
      echo: false,
      temperature: 0.7,
      maxTokens: 1024,
      promptName: "default",
    });
    expect(parseCommonOptions({ query: "x", maxTokens: null })?.maxTokens).toBeUndefined();
    expect(parseCommonOptions({ query: "x", maxTokens: -1 })?.maxTokens).toBeUndefined();
  });

  test("an invalid value is left to the schema, which names the field", () => {
    expect(parseCommonOptions({ query: "x", temperature: 2 })).toBeUndefined();
    expect(() => parseWithSchema({ query: "x", temperature: 2 })).toThrow(/temperature/);
  });
});
