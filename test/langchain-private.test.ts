import { Runnable } from "@langchain/core/runnables";
import { ChatOpenAI, OpenAI } from "@langchain/openai";
import { describe, expect, test } from "vitest";
import { OWNERS, PRIVATE_MEMBERS } from "../src/run/langchain-private.js";

// src/run/langchain-private.ts is the one file that touches LangChain members outside its public
// API; when an upgrade removes one, this fails before a user's stream does.
describe("the LangChain members this package relies on", () => {
  test("Runnable, BaseLLM and BaseChatModel still have them", () => {
    for (const member of PRIVATE_MEMBERS.Runnable) {
      expect(typeof (Runnable.prototype as never)[member], `Runnable.${member}`).toBe("function");
    }
    for (const owner of ["BaseLLM", "BaseChatModel"] as const) {
      for (const member of PRIVATE_MEMBERS[owner]) {
        const prototype = OWNERS[owner].prototype as unknown as Record<string, unknown>;
        expect(typeof prototype[member], `${owner}.${member}`).toBe("function");
      }
    }
  });

  test("ChatOpenAI and OpenAI instances still keep their endpoint, key, timeout and streaming flag there", () => {
    for (const model of [
      new ChatOpenAI({
        model: "m",
        apiKey: "k",
        timeout: 5,
        streaming: false,
        configuration: { baseURL: "http://127.0.0.1:9/v1" },
      }),
      new OpenAI({
        model: "m",
        apiKey: "k",
        timeout: 5,
        configuration: { baseURL: "http://127.0.0.1:9/v1" },
      }),
    ]) {
      const record = model as unknown as Record<string, unknown>;
      for (const member of PRIVATE_MEMBERS.ChatOpenAI) {
        if (member === "disableStreaming" && model instanceof OpenAI) continue;
        expect(record[member], `${model.constructor.name}.${member}`).toBeDefined();
      }
      expect((record.clientConfig as { baseURL?: string }).baseURL).toBe("http://127.0.0.1:9/v1");
      expect(record.apiKey).toBe("k");
      expect(record.timeout).toBe(5);
    }
  });

  test("initChatModel's ConfigurableModel still builds its model with _getModelInstance", async () => {
    const { initChatModel } = await import("langchain/chat_models/universal");
    const model = (await initChatModel("openai:m", { apiKey: "k" })) as unknown as Record<
      string,
      unknown
    >;
    for (const member of PRIVATE_MEMBERS.ConfigurableModel) {
      expect(typeof model[member], `ConfigurableModel.${member}`).toBe("function");
    }
  });
});
