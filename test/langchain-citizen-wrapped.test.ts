import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import { type Runnable, RunnableBinding, type RunnableConfig } from "@langchain/core/runnables";
import { ChatOpenAI, OpenAI } from "@langchain/openai";
import { describe, expect, test } from "vitest";
import { completion, createCompletionChain } from "../src/index.js";
import { collect, failure, upstream } from "./helpers/fixtures.js";
import { ANSWER, TOKENS } from "./helpers/four-tokens.js";
import { closedPort } from "./helpers/hostile-upstream.js";

type Kind = "completion" | "chat";
type AnyModel = Runnable<BaseLanguageModelInput, unknown>;

function modelOn(kind: Kind, baseURL: string): AnyModel {
  const fields = { apiKey: "test-key", configuration: { baseURL }, maxRetries: 0 };
  return kind === "chat"
    ? new ChatOpenAI({ model: "gpt-4o-mini", ...fields })
    : (new OpenAI({ model: "gpt-3.5-turbo-instruct", ...fields }) as unknown as AnyModel);
}

type Wrapper = (model: AnyModel, kind: Kind) => Promise<AnyModel>;

/** Call options a wrapper binds (`stop`), which `RunnableConfig`'s type does not list. */
const STOP = { stop: ["STOP"] } as Partial<RunnableConfig>;

const WRAPPERS: readonly [string, Wrapper][] = [
  [".withRetry()", async (model) => model.withRetry({ stopAfterAttempt: 2 })],
  [
    ".withFallbacks() after a refused connection",
    async (model, kind) =>
      modelOn(kind, `http://127.0.0.1:${await closedPort()}/v1`).withFallbacks([model]),
  ],
  [
    ".withFallbacks() after a 500",
    async (model, kind) => {
      const failing = await upstream({ status: 500 });
      return modelOn(kind, failing.url).withFallbacks([model]);
    },
  ],
  [
    ".bind({ stop })",
    // What `.bind(kwargs)` made before core 1.x removed it: a RunnableBinding with kwargs.
    async (model) => new RunnableBinding({ bound: model, kwargs: STOP, config: {} }),
  ],
  [
    ".withConfig({ stop, tags })",
    async (model) => model.withConfig({ ...STOP, tags: ["wrapped"] }),
  ],
];

describe.each([["completion"], ["chat"]] as const)("a wrapped %s model", (kind) => {
  test.each(WRAPPERS)(
    "%s streams token by token through the chain and completion()",
    async (name, wrap) => {
      const server = await upstream({ tokens: TOKENS });
      const model = await wrap(modelOn(kind, server.url), kind);
      const chain = createCompletionChain({ model });
      expect(await collect(await chain.stream({ input: "q" }))).toEqual(TOKENS);
      expect(await chain.invoke({ input: "q" })).toBe(ANSWER);
      expect(await collect(completion({ query: "q", model, stream: true }))).toEqual(TOKENS);
      expect(await completion({ query: "q", model })).toBe(ANSWER);
      const bodies = server.requests.map((request) => request.body as Record<string, unknown>);
      expect(bodies).toHaveLength(4);
      for (const body of bodies) {
        expect(body.stream).toBe(true);
        if (name.includes("stop")) expect(body.stop).toEqual(["STOP"]);
      }
    },
  );

  test.each(
    WRAPPERS.flatMap(([name, wrap]) => [
      [name, "the connection dropped after two tokens", { dropAfterTokens: 2 }, wrap] as const,
      [name, "no finish reason", { omitFinishReason: true }, wrap] as const,
    ]),
  )("%s cut short (%s) still fails with upstream_incomplete", async (_name, _cut, script, wrap) => {
    const server = await upstream({ tokens: TOKENS, ...script });
    const model = await wrap(modelOn(kind, server.url), kind);
    const chain = createCompletionChain({ model });
    const outcomes = [
      await failure(async (tokens) => {
        for await (const token of completion({ query: "q", model, stream: true }))
          tokens.push(token);
      }),
      await failure(() => completion({ query: "q", model })),
      await failure(async (tokens) => {
        for await (const token of await chain.stream({ input: "q" })) tokens.push(token);
      }),
      await failure(() => chain.invoke({ input: "q" })),
    ];
    expect(outcomes.map(({ error }) => error.code)).toEqual([
      "upstream_incomplete",
      "upstream_incomplete",
      "upstream_incomplete",
      "upstream_incomplete",
    ]);
  });
});
