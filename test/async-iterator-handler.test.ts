import { FakeStreamingLLM } from "@langchain/core/utils/testing";
import { describe, expect, test } from "vitest";
import { AsyncIteratorCallbackHandler } from "../src/index.js";

async function drain(iterator: AsyncIterable<string>): Promise<string[]> {
  const tokens: string[] = [];
  for await (const token of iterator) tokens.push(token);
  return tokens;
}

describe("AsyncIteratorCallbackHandler", () => {
  test("tokens queued before the end are all delivered when the end arrives in the same tick", async () => {
    // The Python original raced `queue.get()` against `done.wait()` and dropped the rest of the
    // queue when both were ready; here end and tokens arrive together and nothing is lost.
    const handler = new AsyncIteratorCallbackHandler();
    const iterator = handler.aiter();
    for (const token of ["a", "b", "c"]) handler.handleLLMNewToken(token);
    handler.handleLLMEnd();
    expect(await drain(iterator)).toEqual(["a", "b", "c"]);
  });

  test("a consumer waiting for the next token receives tokens pushed later, in order", async () => {
    const handler = new AsyncIteratorCallbackHandler();
    const result = drain(handler.aiter());
    for (let i = 0; i < 100; i += 1) {
      handler.handleLLMNewToken(String(i));
      if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    handler.handleLLMEnd();
    expect(await result).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
  });

  test("overlapping next() calls are answered in order, and none is left hanging at the end", async () => {
    const handler = new AsyncIteratorCallbackHandler();
    const iterator = handler.aiter();
    const pending = [iterator.next(), iterator.next(), iterator.next(), iterator.next()];
    handler.handleLLMNewToken("a");
    handler.handleLLMNewToken("b");
    handler.close(new Error("boom"));
    const results = await Promise.allSettled(pending);
    expect(results[0]).toEqual({ status: "fulfilled", value: { value: "a", done: false } });
    expect(results[1]).toEqual({ status: "fulfilled", value: { value: "b", done: false } });
    expect(results[2]).toMatchObject({ status: "rejected", reason: { message: "boom" } });
    expect(results[3]).toEqual({ status: "fulfilled", value: { value: undefined, done: true } });
  });

  test("empty tokens from final and usage chunks are skipped", async () => {
    const handler = new AsyncIteratorCallbackHandler();
    handler.handleLLMNewToken("");
    handler.handleLLMNewToken(" x");
    handler.handleLLMNewToken("");
    handler.handleLLMEnd();
    expect(await drain(handler.aiter())).toEqual([" x"]);
  });

  test("a model error is thrown after the tokens received before it", async () => {
    const handler = new AsyncIteratorCallbackHandler();
    const iterator = handler.aiter();
    handler.handleLLMNewToken("first");
    handler.handleLLMError(new Error("boom"));
    expect(await iterator.next()).toEqual({ value: "first", done: false });
    await expect(iterator.next()).rejects.toThrow("boom");
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  test("an error of the outermost chain ends the iteration, an error of a nested chain does not", async () => {
    const handler = new AsyncIteratorCallbackHandler();
    const iterator = handler.aiter();
    handler.handleChainError(new Error("nested"), "run-2", "run-1");
    expect(handler.done).toBe(false);
    handler.handleChainError(new Error("root"), "run-1");
    await expect(iterator.next()).rejects.toThrow("root");
  });

  test("closing before the model ever started ends a waiting consumer instead of hanging", async () => {
    const handler = new AsyncIteratorCallbackHandler();
    const pending = handler.aiter().next();
    handler.close(new Error("template failed"));
    await expect(pending).rejects.toThrow("template failed");
  });

  test("breaking out of the loop closes the handler and later tokens are ignored", async () => {
    const handler = new AsyncIteratorCallbackHandler();
    handler.handleLLMNewToken("a");
    handler.handleLLMNewToken("b");
    for await (const token of handler.aiter()) {
      expect(token).toBe("a");
      break;
    }
    expect(handler.done).toBe(true);
    handler.handleLLMNewToken("c");
  });

  test("aiter() can be called only once", () => {
    const handler = new AsyncIteratorCallbackHandler();
    handler.aiter();
    expect(() => handler.aiter()).toThrow(/only once/);
  });

  test("attached to a real LangChain model run it yields every streamed token in order", async () => {
    const model = new FakeStreamingLLM({ responses: ["héllo, 世界 🌍!"], sleep: 0 });
    const handler = new AsyncIteratorCallbackHandler();
    const consume = async () => {
      for await (const _ of await model.stream("ignored", { callbacks: [handler] })) {
        // the handler, not this loop, is what is read
      }
    };
    const run = consume().then(
      () => handler.close(),
      (error: unknown) => handler.close(error),
    );
    const tokens = await drain(handler.aiter());
    await run;
    expect(tokens.join("")).toBe("héllo, 世界 🌍!");
  });

  test("it records the finish reason the model reported at its end", async () => {
    const handler = new AsyncIteratorCallbackHandler();
    expect(handler.finishReason).toBeUndefined();
    handler.handleLLMEnd({
      generations: [[{ text: "x", generationInfo: { finishReason: "length" } }]],
    });
    expect(handler.finishReason).toBe("length");
    const silent = new AsyncIteratorCallbackHandler();
    silent.handleLLMEnd({ generations: [[{ text: "x" }]] });
    expect(silent.finishReason).toBeNull();
  });
});
