import { FakeListChatModel } from "@langchain/core/utils/testing";
import { describe, expect, test } from "vitest";
import { type CompletionError, completion, isCompletionError } from "../src/index.js";

async function rejection(run: () => unknown): Promise<CompletionError> {
  try {
    await run();
  } catch (error) {
    if (isCompletionError(error)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

const model = new FakeListChatModel({ responses: ["ok"] });

describe("completion() options", () => {
  test.each([
    [
      { query: "x", temperature: 1.5 },
      "`temperature` must be between 0 and 1, got 1.5",
      ["temperature"],
    ],
    [
      { query: "x", temperature: -0.1 },
      "`temperature` must be between 0 and 1, got -0.1",
      ["temperature"],
    ],
    [
      { query: "x", temperature: "hot" },
      '`temperature` must be a number, got "hot"',
      ["temperature"],
    ],
    [{}, "`query` is required and must be a string, got nothing", ["query"]],
    [{ query: 3 }, "`query` is required and must be a string, got 3", ["query"]],
    [{ query: "x", maxTokens: 1.5 }, "`maxTokens` must be an integer, got 1.5", ["maxTokens"]],
    [{ query: "x", echo: "yes" }, '`echo` must be a boolean, got "yes"', ["echo"]],
    [
      { query: "x", promptName: "../etc/passwd" },
      "`promptName` must be a plain name",
      ["promptName"],
    ],
    [
      { query: "x", model: 42 },
      "`model` must be a model name or a LangChain model instance",
      ["model"],
    ],
    [{ query: "x", max_tokens: 10 }, "unknown option `max_tokens`; did you mean `maxTokens`?", []],
  ])("%j fails with invalid_options naming the field", async (options, message, path) => {
    const error = await rejection(() => completion(options as never));
    expect(error.code).toBe("invalid_options");
    expect(error.message).toContain(message);
    expect(error.issues?.[0]?.path).toEqual(path);
  });

  test("an unknown option is named with the option meant: the camelCase of a snake_case name, the option of an HTTP body key, a near misspelling; a far one gets no guess", async () => {
    const messages = await Promise.all(
      [
        { query: "x", prompt_name: "qa" },
        { query: "x", model_name: "qwen" },
        { query: "x", temprature: 0.5 },
        { query: "x", colour: "blue" },
        { query: "x", max_tokens: 5, Stream: true },
        { query: "x", models: { local: { base_url: "http://127.0.0.1:1/v1" } } },
      ].map(async (options) => (await rejection(() => completion(options as never))).message),
    );
    expect(messages).toEqual([
      "unknown option `prompt_name`; did you mean `promptName`?",
      "unknown option `model_name`; did you mean `model`?",
      "unknown option `temprature`; did you mean `temperature`?",
      "unknown option `colour`",
      "unknown options `max_tokens` (did you mean `maxTokens`?), `Stream` (did you mean `stream`?)",
      "`models.local` has an unknown key `base_url`; did you mean `baseURL`?",
    ]);
  });

  test("a bad value with stream: true throws synchronously, before any iteration", () => {
    expect(() => completion({ query: "x", stream: true, temperature: 2, model })).toThrow(
      /temperature/,
    );
  });

  test("the bounds 0 and 1 and a null or non-positive maxTokens are accepted", async () => {
    await expect(completion({ query: "x", model, temperature: 0 })).resolves.toBe("ok");
    await expect(completion({ query: "x", model, temperature: 1, maxTokens: null })).resolves.toBe(
      "ok",
    );
    await expect(completion({ query: "x", model, maxTokens: -1 })).resolves.toBe("ok");
  });

  test("a stream can be iterated once; a second iteration says so instead of yielding nothing", async () => {
    const stream = completion({ query: "x", stream: true, model });
    const first: string[] = [];
    for await (const token of stream) first.push(token);
    expect(first.join("")).toBe("ok");
    expect(() => stream[Symbol.asyncIterator]()).toThrow(/only once/);
  });

  test("an already aborted signal rejects with aborted and never calls the model", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(() =>
      completion({ query: "x", model, signal: controller.signal }),
    );
    expect(error.code).toBe("aborted");
  });
});
