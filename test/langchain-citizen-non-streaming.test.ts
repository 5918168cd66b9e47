import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { LLM } from "@langchain/core/language_models/llms";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { ChatOpenAI } from "@langchain/openai";
import { describe, expect, test } from "vitest";
import { completion, createCompletionChain } from "../src/index.js";
import { collect, upstream } from "./helpers/fixtures.js";
import { ANSWER, TOKENS } from "./helpers/four-tokens.js";
import { guardNetwork } from "./helpers/network-guard.js";

/** A chat model with only `_generate`: LangChain streams it as one chunk. */
class WholeChatModel extends BaseChatModel {
  _llmType(): string {
    return "whole-chat";
  }
  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const text = `whole chat answer to ${String(messages.at(-1)?.content)}`;
    return { generations: [{ text, message: new AIMessage(text) }] };
  }
}

/** An LLM with only `_call`. */
class WholeLLM extends LLM {
  _llmType(): string {
    return "whole-llm";
  }
  async _call(prompt: string): Promise<string> {
    return `whole llm answer to ${prompt}`;
  }
}

describe("a model that cannot stream gives its whole answer as one token", () => {
  test("ChatOpenAI({ streaming: false }) answers through completion(), the chain's stream() and invoke(), with one non-streamed request each and no other traffic", async () => {
    const server = await upstream({ tokens: TOKENS });
    const model = new ChatOpenAI({
      model: "gpt-4o-mini",
      apiKey: "test-key",
      configuration: { baseURL: server.url },
      maxRetries: 0,
      streaming: false,
    });
    const guard = guardNetwork();
    try {
      expect(await collect(completion({ query: "q", model, stream: true }))).toEqual([ANSWER]);
      expect(await completion({ query: "q", model })).toBe(ANSWER);
      const chain = createCompletionChain({ model });
      expect(await collect(await chain.stream({ input: "q" }))).toEqual([ANSWER]);
      expect(await chain.invoke({ input: "q" })).toBe(ANSWER);
    } finally {
      guard.restore();
    }
    expect(guard.attempts).toEqual([]);
    expect(server.requests).toHaveLength(4);
    for (const request of server.requests) {
      expect((request.body as { stream?: boolean }).stream ?? false).toBe(false);
    }
  });

  test.each([
    [
      "a BaseChatModel with only _generate",
      () => new WholeChatModel({}),
      "whole chat answer to Q: hi",
    ],
    ["an LLM with only _call", () => new WholeLLM({}), "whole llm answer to Q: hi"],
  ])(
    "%s answers in one token through completion({ stream: true }), completion() and the chain's stream()",
    async (_name, make, answer) => {
      const model = make();
      const prompt = "Q: {input}";
      expect(await collect(completion({ query: "hi", prompt, model, stream: true }))).toEqual([
        answer,
      ]);
      expect(await completion({ query: "hi", prompt, model })).toBe(answer);
      const chain = createCompletionChain({ model, prompt });
      expect(await collect(await chain.stream({ input: "hi" }))).toEqual([answer]);
      expect(await chain.invoke({ input: "hi" })).toBe(answer);
    },
  );
});
