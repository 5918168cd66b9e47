import type { ChatGenerationChunk } from "@langchain/core/outputs";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { ChatOpenAI } from "@langchain/openai";
import { describe, expect, test } from "vitest";
import { completion, createCompletionChain } from "../src/index.js";
import type { TestingServer } from "../src/testing/index.js";
import { collect, failure, registry, sleep, streamFailure, upstream } from "./helpers/fixtures.js";
import { scriptedServer, streamTokens } from "./helpers/scripted-server.js";

const MODELS = ["test-completion", "test-chat"] as const;

/** A ChatOpenAI instance of our own on `server`, with no retries and the given timeout if any. */
function chatModel(server: TestingServer, timeout?: number): ChatOpenAI {
  return new ChatOpenAI({
    model: "m",
    apiKey: "k",
    maxRetries: 0,
    ...(timeout === undefined ? {} : { timeout }),
    configuration: { baseURL: server.url },
  });
}

describe.each(MODELS)("%s: a stalled upstream", (model) => {
  test("headers and then nothing: the stream fails with upstream_timeout and the socket is closed", async () => {
    const server = await upstream({ tokens: ["never"], stallAfterTokens: 0 });
    const { error, tokens } = await streamFailure({
      model,
      models: registry(server),
      timeout: 300,
    });
    expect(error.code).toBe("upstream_timeout");
    expect(error.message).toContain("300 ms");
    expect(error.message).toContain(server.url);
    expect(tokens).toEqual([]);
    await server.waitForConnections(0);
  });

  test("two tokens and then nothing: the tokens arrive, then upstream_timeout", async () => {
    const server = await upstream({ tokens: ["a", " b", " c"], stallAfterTokens: 2 });
    const { error, tokens } = await streamFailure({
      model,
      models: registry(server),
      timeout: 300,
    });
    expect(error.code).toBe("upstream_timeout");
    expect(tokens).toEqual(["a", " b"]);
    await server.waitForConnections(0);
  });

  test("no headers at all: stream: false fails with upstream_timeout too", async () => {
    const server = await upstream({ stallBeforeHeaders: true });
    const { error } = await failure(() =>
      completion({ query: "q", model, models: registry(server), timeout: 300 }),
    );
    expect(error.code).toBe("upstream_timeout");
    await server.waitForConnections(0);
  });

  test("the registry entry's timeout applies when completion() sets none", async () => {
    const server = await upstream({ tokens: ["a"], stallAfterTokens: 1 });
    const models = registry(server);
    const entry = { ...models[model], timeout: 300 };
    const { error, tokens } = await streamFailure({ model, models: { [model]: entry } });
    expect(error.code).toBe("upstream_timeout");
    expect(tokens).toEqual(["a"]);
  });

  test("time the consumer takes between tokens is not counted: a reader slower than the timeout gets the whole answer", async () => {
    const server = await upstream({ tokens: ["a", " b", " c"] });
    const tokens: string[] = [];
    const stream = completion({
      query: "q",
      stream: true,
      model,
      models: registry(server),
      // Wide enough that a loaded machine's connect and headers fit in it; the reader still
      // pauses longer than it between tokens.
      timeout: 500,
    });
    for await (const token of stream) {
      tokens.push(token);
      await sleep(700);
    }
    expect(tokens).toEqual(["a", " b", " c"]);
  });
});

test("a model instance's own timeout bounds every wait, not only the headers", async () => {
  const server = await upstream({ tokens: ["a", " b"], stallAfterTokens: 1 });
  const model = chatModel(server, 300);
  const { error, tokens } = await streamFailure({ model });
  expect(error.code).toBe("upstream_timeout");
  expect(tokens).toEqual(["a"]);
  await server.waitForConnections(0);
});

test("completion()'s timeout wins over the registry entry's", async () => {
  const server = await upstream({
    tokens: ["a", " b"],
    delayMs: (index) => (index === 1 ? 400 : 0),
  });
  const models = { m: { ...registry(server)["test-chat"], timeout: 100 } };
  const tokens = await collect(
    completion({ query: "q", stream: true, model: "m", models, timeout: 5_000 }),
  );
  expect(tokens).toEqual(["a", " b"]);
});

test("completion()'s timeout replaces the registry entry's for the headers too", async () => {
  // The entry's timeout is also the request's own (openai-node's, which stops at the headers); a
  // call's longer timeout must lift it there as well, not only between chunks.
  // Every request's headers come 400 ms late, then "a", " b".
  const server = await scriptedServer((_, req, res) => {
    setTimeout(() => streamTokens(req, res, ["a", " b"], true), 400);
  });
  const models = {
    m: { kind: "chat" as const, baseURL: server.url, apiKey: "k", maxRetries: 0, timeout: 100 },
  };
  await expect(
    collect(completion({ query: "q", stream: true, model: "m", models })),
  ).rejects.toMatchObject({
    code: "upstream_timeout",
  });
  const tokens = await collect(
    completion({ query: "q", stream: true, model: "m", models, timeout: 5_000 }),
  );
  expect(tokens).toEqual(["a", " b"]);
});

test("createCompletionChain({ timeout }): invoke() and stream() fail with upstream_timeout", async () => {
  const server = await upstream({ tokens: ["a", " b"], stallAfterTokens: 1 });
  const model = chatModel(server);
  const chain = createCompletionChain({ model, prompt: "{input}", timeout: 300 });
  const invoked = await failure(() => chain.invoke({ input: "q" }));
  expect(invoked.error.code).toBe("upstream_timeout");
  const streamed = await failure(async (tokens) => {
    for await (const token of await chain.stream({ input: "q" })) tokens.push(token);
  });
  expect(streamed.error.code).toBe("upstream_timeout");
  expect(streamed.tokens).toEqual(["a"]);
  await server.waitForConnections(0);
});

test("a timeout of 0 or more than 2^31-1 ms is invalid_options naming `timeout`", async () => {
  for (const timeout of [0, -1, 2 ** 31, Number.NaN]) {
    const { error } = await failure(() => completion({ query: "q", timeout }));
    expect(error.code).toBe("invalid_options");
    expect(error.message).toMatch(/^`timeout` /);
  }
});

/** A chat model with its own request `timeout` whose request always times out, as openai-node's does. */
class TimingOutModel extends FakeListChatModel {
  constructor(readonly timeout: number) {
    super({ responses: ["never"] });
  }

  // biome-ignore lint/correctness/useYield: it fails before its first chunk
  override async *_streamResponseChunks(): AsyncGenerator<ChatGenerationChunk> {
    // What LangChain's wrapOpenAIClientError makes of the SDK's APIConnectionTimeoutError.
    throw Object.assign(new Error("Request timed out."), { name: "TimeoutError" });
  }
}

test("a model's request timeout that is the run's own is upstream_timeout, whichever of the two timers fired first", async () => {
  // A registry entry's `timeout` is both the model's request timeout (to the headers) and the
  // run's: the two timers are due at once, and the request's may fire first.
  const same = await failure(() =>
    completion({ query: "q", model: new TimingOutModel(300), timeout: 300 }),
  );
  expect(same.error.code).toBe("upstream_timeout");
  expect(same.error.message).toContain("300 ms");
  // A shorter request timeout of the model's own, under a longer run timeout, is the model's.
  const own = await failure(() =>
    completion({ query: "q", model: new TimingOutModel(300), timeout: 5_000 }),
  );
  expect(own.error.code).toBe("upstream_unavailable");
  expect(own.error.message).toMatch(/timed out/i);
});
