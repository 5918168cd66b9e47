import type { BaseMessage } from "@langchain/core/messages";
import { RunnableLambda } from "@langchain/core/runnables";
import { describe, expect, test } from "vitest";
import { reader, recordingReader } from "./helpers/completion-reader.js";
import { registry, upstream } from "./helpers/fixtures.js";
import { TOKENS } from "./helpers/four-tokens.js";
import { graphOf } from "./helpers/one-node-graph.js";

describe("a chat model's tokens reach LangGraph's and LangChain's streams from inside a node", () => {
  test('graph.stream(…, { streamMode: "messages" }) gets every token as its own message chunk, with the caller\'s callbacks kept', async () => {
    const server = await upstream({ tokens: TOKENS });
    const { own, outer, read } = recordingReader(server, "test-chat");
    const chunks: string[] = [];
    for await (const [message, metadata] of await graphOf(read).stream(
      { query: "q" },
      { streamMode: "messages", callbacks: [outer] },
    )) {
      expect((metadata as { langgraph_node?: string }).langgraph_node).toBe("respond");
      const content = (message as BaseMessage).content;
      if (typeof content === "string" && content !== "") chunks.push(content);
    }
    expect(chunks).toEqual(TOKENS);
    expect(own.tokens).toEqual(TOKENS);
    expect(outer.tokens).toEqual(TOKENS);
  });

  test("graph.streamEvents (v2) reports each token as an on_chat_model_stream event", async () => {
    const server = await upstream({ tokens: TOKENS });
    const { read } = reader(() => ({ query: "", model: "test-chat", models: registry(server) }));
    const chunks: string[] = [];
    for await (const event of graphOf(read).streamEvents({ query: "q" }, { version: "v2" })) {
      if (event.event !== "on_chat_model_stream") continue;
      const content = (event.data.chunk as BaseMessage).content;
      if (typeof content === "string" && content !== "") chunks.push(content);
    }
    expect(chunks).toEqual(TOKENS);
  });

  test("a RunnableLambda's streamEvents (v2) reports each token as an on_chat_model_stream event", async () => {
    const server = await upstream({ tokens: TOKENS });
    const { read } = reader(() => ({ query: "", model: "test-chat", models: registry(server) }));
    const chunks: string[] = [];
    for await (const event of RunnableLambda.from(read).streamEvents("q", { version: "v2" })) {
      if (event.event !== "on_chat_model_stream") continue;
      const content = (event.data.chunk as BaseMessage).content;
      if (typeof content === "string" && content !== "") chunks.push(content);
    }
    expect(chunks).toEqual(TOKENS);
  });
});
