import { OpenAI } from "@langchain/openai";
import { describe, expect, test } from "vitest";
import {
  buildRegisteredModel,
  completion,
  defaultKind,
  isCompletionError,
  resolveModel,
} from "../src/index.js";
import { guardNetwork } from "./helpers/network-guard.js";

const settings = { temperature: 0.7, maxTokens: 1024 };

async function codeOf(run: () => unknown): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    return isCompletionError(error) ? error.code : `not a CompletionError: ${String(error)}`;
  }
  return undefined;
}

describe("model registry", () => {
  test.each([
    ["gpt-4o-mini", "chat"],
    ["gpt-4", "chat"],
    ["gpt-5", "chat"],
    ["o1-mini", "chat"],
    ["gpt-3.5-turbo", "chat"],
    ["gpt-3.5-turbo-instruct", "completion"],
    ["qwen2.5-7b-instruct", "completion"],
    ["chatglm3-6b", "completion"],
  ])("%s defaults to the %s endpoint", (name, kind) => {
    expect(defaultKind(name)).toBe(kind);
  });

  test("the entry's kind wins and builds the matching LangChain class", () => {
    const models = { m: { kind: "chat" as const, baseURL: "http://127.0.0.1:1/v1" } };
    expect(buildRegisteredModel("m", settings, { models, env: {} })._llmType()).toBe("openai");
    expect(buildRegisteredModel("m", settings, { models, env: {} }).constructor.name).toBe(
      "ChatOpenAI",
    );
    const completionModel = buildRegisteredModel("qwen", settings, {
      models: { qwen: { kind: "completion", baseURL: "http://127.0.0.1:1/v1" } },
      env: {},
    });
    expect(completionModel).toBeInstanceOf(OpenAI);
  });

  test("a chat-only name forced onto the completions endpoint is invalid_options, not a crash", async () => {
    const models = { "gpt-4o": { kind: "completion" as const, baseURL: "http://127.0.0.1:1/v1" } };
    expect(await codeOf(() => completion({ query: "q", models }))).toBe("invalid_options");
  });

  test("with no registry, OPENAI_BASE_URL serves any name and OPENAI_MODEL is the default", async () => {
    const env = { OPENAI_BASE_URL: "http://127.0.0.1:1/v1", OPENAI_MODEL: "local" };
    const model = buildRegisteredModel("whatever", settings, { env }) as OpenAI;
    expect(model.model).toBe("whatever");
    expect(model.apiKey).toBe("EMPTY");
    expect(((await resolveModel(undefined, settings, { env })) as OpenAI).model).toBe("local");
  });

  test("empty environment variables count as unset, so nothing falls back to a public endpoint", () => {
    const env = { OPENAI_BASE_URL: "", OPENAI_API_KEY: "" };
    expect(() => buildRegisteredModel("m", settings, { env })).toThrow(/no endpoint is/);
    expect(() => buildRegisteredModel("m", settings, { models: { m: {} }, env })).toThrow(
      /neither a baseURL nor an apiKey/,
    );
  });

  test("a provider:model string for a provider package that is not installed fails clearly, offline", async () => {
    const guard = guardNetwork();
    try {
      expect(
        await codeOf(() => completion({ query: "q", model: "nosuchprovider:some-model" })),
      ).toBe("unknown_model");
      expect(guard.attempts).toEqual([]);
    } finally {
      guard.restore();
    }
  });

  test("the same configuration reuses one model instance; other settings get their own", () => {
    const models = { m: { kind: "chat" as const, baseURL: "http://127.0.0.1:1/v1" } };
    const first = buildRegisteredModel("m", settings, { models, env: {} });
    expect(buildRegisteredModel("m", settings, { models, env: {} })).toBe(first);
    const colder = buildRegisteredModel(
      "m",
      { ...settings, temperature: 0.1 },
      { models, env: {} },
    );
    expect(colder).not.toBe(first);
    expect((colder as unknown as { temperature: number }).temperature).toBe(0.1);
  });

  test("a registry object is read once: an entry changed in place is not, a new registry object is", () => {
    const entry: { kind: "completion"; baseURL: string; model?: string } = {
      kind: "completion",
      baseURL: "http://127.0.0.1:1/v1",
    };
    const models = { m: entry };
    const modelOf = (built: unknown) => (built as { model: string }).model;
    expect(modelOf(buildRegisteredModel("m", settings, { models, env: {} }))).toBe("m");
    entry.model = "renamed";
    expect(modelOf(buildRegisteredModel("m", settings, { models, env: {} }))).toBe("m");
    expect(modelOf(buildRegisteredModel("m", settings, { models: { m: entry }, env: {} }))).toBe(
      "renamed",
    );
  });

  test("a key or endpoint taken from the environment is part of the model's identity", () => {
    const models = { m: { kind: "completion" as const } };
    const urlOf = (built: unknown) =>
      (built as { clientConfig: { baseURL?: string } }).clientConfig.baseURL;
    const one = buildRegisteredModel("m", settings, {
      models,
      env: { OPENAI_BASE_URL: "http://127.0.0.1:1/v1" },
    });
    const two = buildRegisteredModel("m", settings, {
      models,
      env: { OPENAI_BASE_URL: "http://127.0.0.1:2/v1" },
    });
    expect(urlOf(one)).toBe("http://127.0.0.1:1/v1");
    expect(urlOf(two)).toBe("http://127.0.0.1:2/v1");
  });
});
