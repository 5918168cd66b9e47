import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import type { Runnable } from "@langchain/core/runnables";
import { initChatModel } from "langchain/chat_models/universal";
import { describe, expect, test } from "vitest";
import { completion, createCompletionChain } from "../src/index.js";
import { setEnv } from "./helpers/env.js";
import { collect, upstream } from "./helpers/fixtures.js";
import { ANSWER, TOKENS } from "./helpers/four-tokens.js";

describe("provider:model strings and initChatModel models stream token by token", () => {
  test('completion({ model: "openai:gpt-4o-mini", stream: true }) yields the tokens as the upstream sent them', async () => {
    const server = await upstream({ tokens: TOKENS });
    setEnv({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: "test-key" });
    expect(
      await collect(completion({ query: "q", model: "openai:gpt-4o-mini", stream: true })),
    ).toEqual(TOKENS);
    expect(await completion({ query: "q", model: "openai:gpt-4o-mini" })).toBe(ANSWER);
    expect(server.requests.map((request) => (request.body as { stream?: boolean }).stream)).toEqual(
      [true, true],
    );
  });

  test("an initChatModel model streams token by token through completion() and the chain", async () => {
    const server = await upstream({ tokens: TOKENS });
    setEnv({});
    const model = await initChatModel("gpt-4o-mini", {
      modelProvider: "openai",
      apiKey: "test-key",
      configuration: { baseURL: server.url },
      maxRetries: 0,
    });
    expect(await collect(completion({ query: "q", model, stream: true }))).toEqual(TOKENS);
    const chain = createCompletionChain({
      model: model as unknown as Runnable<BaseLanguageModelInput, unknown>,
    });
    expect(await collect(await chain.stream({ input: "q" }))).toEqual(TOKENS);
    expect(await chain.invoke({ input: "q" })).toBe(ANSWER);
  });
});
