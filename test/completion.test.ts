import { describe, expect, test } from "vitest";
import { completion } from "../src/index.js";
import type { TestingServer } from "../src/testing/index.js";
import { collect, failure, registry, upstream } from "./helpers/fixtures.js";
import { closedPort } from "./helpers/hostile-upstream.js";

const kinds = [["test-completion"], ["test-chat"]] as const;

describe.each(kinds)("completion() on %s", (model) => {
  test("a 10,000-token stream arrives in order, none lost, duplicated or empty", async () => {
    const tokens = Array.from({ length: 10_000 }, (_, i) => (i % 3 === 0 ? ` w${i}` : `t${i}`));
    const server = await upstream({ tokens });
    const received = await collect(
      completion({ query: "go", stream: true, model, models: registry(server) }),
    );
    expect(received).toEqual(tokens);
  });

  test("tokens with leading spaces, line breaks, CJK and emoji split across network chunks survive intact", async () => {
    const tokens = [" leading", "line\nbreak", "\r\n", "\n", "世界", "🌍", "👨‍👩‍👧", " é", "\t"];
    // Three-byte writes split every emoji's four UTF-8 bytes across two network chunks.
    const server = await upstream({ tokens, byteChunkSize: 3 });
    const received = await collect(
      completion({ query: "go", stream: true, model, models: registry(server) }),
    );
    expect(received).toEqual(tokens);
  });

  test("overlapping next() calls get the tokens in order, then the end", async () => {
    const server = await upstream({ tokens: ["a", "b", "c"] });
    const stream = completion({
      query: "go",
      stream: true,
      echo: true,
      prompt: "Q:{input}",
      model,
      models: registry(server),
    });
    const iterator = stream[Symbol.asyncIterator]();
    const results = await Promise.all(Array.from({ length: 6 }, () => iterator.next()));
    expect(results.map((result) => result.value)).toEqual([
      "Q:go",
      "a",
      "b",
      "c",
      undefined,
      undefined,
    ]);
  });

  test("return() while a next() waits ends both at once and closes the upstream socket", async () => {
    const server = await upstream({
      tokens: ["a", "b"],
      delayMs: (index) => (index === 0 ? 0 : 5_000),
    });
    const iterator = completion({ query: "go", stream: true, model, models: registry(server) })[
      Symbol.asyncIterator
    ]();
    expect(await iterator.next()).toEqual({ value: "a", done: false });
    const waiting = iterator.next();
    expect(await iterator.return?.()).toEqual({ value: undefined, done: true });
    expect(await waiting).toEqual({ value: undefined, done: true });
    await server.waitForConnections(0);
    expect(server.tokensSent()).toBe(1);
  });

  test("stream: false resolves to exactly what the stream yields, echo included", async () => {
    const server = await upstream({ tokens: ["Hello", ",", " 世界", "\n", "🌍"] });
    const models = registry(server);
    const options = { query: "q {input} }", model, models, echo: true, prompt: "Q: {input}\nA:" };
    const streamed = await collect(completion({ ...options, stream: true }));
    const whole = await completion(options);
    expect(streamed[0]).toBe("Q: q {input} }\nA:");
    expect(whole).toBe(streamed.join(""));
    expect(whole).toBe("Q: q {input} }\nA:Hello, 世界\n🌍");
  });

  test("an empty answer is an empty string and an empty stream", async () => {
    const server = await upstream({ tokens: [] });
    expect(await completion({ query: "q", model, models: registry(server) })).toBe("");
    expect(
      await collect(completion({ query: "q", stream: true, model, models: registry(server) })),
    ).toEqual([]);
  });

  test("the request carries the temperature and max_tokens, and omits max_tokens for null or <= 0", async () => {
    const server = await upstream({ tokens: ["x"] });
    const models = registry(server);
    await completion({ query: "q", model, models, temperature: 0.2, maxTokens: 64 });
    await completion({ query: "q", model, models, maxTokens: null });
    await collect(completion({ query: "q", model, models, maxTokens: -1, stream: true }));
    const bodies = server.requests.map((request) => request.body as Record<string, unknown>);
    expect(bodies[0]).toMatchObject({ temperature: 0.2, max_tokens: 64, stream: true });
    expect(bodies[1]).not.toHaveProperty("max_tokens");
    expect(bodies[2]).not.toHaveProperty("max_tokens");
    expect(bodies[1]).toMatchObject({ temperature: 0.7 });
    // echo is done by the chain, for every kind of model, never sent upstream.
    for (const body of bodies) expect(body).not.toHaveProperty("echo");
  });

  test.each([
    ["HTTP 401", { status: 401 }, "upstream_error", 401],
    ["HTTP 429", { status: 429 }, "upstream_error", 429],
    ["HTTP 500", { status: 500 }, "upstream_error", 500],
  ])(
    "%s before the first token rejects the promise and the first next() with its status",
    async (_, script, code, status) => {
      const server = await upstream(script);
      const models = registry(server);
      const whole = await failure(() => completion({ query: "q", model, models }));
      expect(whole.error).toMatchObject({ code, status });
      expect(whole.error.cause).toBeDefined();
      const streamed = await failure(async (tokens) => {
        for await (const token of completion({ query: "q", model, models, stream: true }))
          tokens.push(token);
      });
      expect(streamed.error).toMatchObject({ code, status });
      expect(streamed.tokens).toEqual([]);
    },
  );

  test("a refused connection fails with upstream_unavailable", async () => {
    // The registry of a server that is not there: nothing listens on that port.
    const models = registry({ url: `http://127.0.0.1:${await closedPort()}/v1` } as TestingServer);
    const { error } = await failure(() => completion({ query: "q", model, models }));
    expect(error.code).toBe("upstream_unavailable");
    expect(error.cause).toBeDefined();
  });

  test.each([
    ["the socket drops", { dropAfterTokens: 2 }, "upstream_incomplete"],
    ["an error chunk arrives", { errorChunkAfterTokens: 2 }, "upstream_error"],
    ["a malformed chunk arrives", { malformedAfterTokens: 2 }, "upstream_malformed"],
    [
      "the stream ends without finish reason or [DONE]",
      { omitFinishReason: true, omitDone: true },
      "upstream_incomplete",
    ],
  ])(
    "when %s after two tokens, the iterator throws after yielding them",
    async (_, script, code) => {
      const tokens = ["one", " two", " three", " four"];
      const server = await upstream({ tokens, ...script });
      const models = registry(server);
      const streamed = await failure(async (received) => {
        for await (const token of completion({ query: "q", model, models, stream: true }))
          received.push(token);
      });
      expect(streamed.error.code).toBe(code);
      const expected = "omitFinishReason" in script ? tokens : tokens.slice(0, 2);
      expect(streamed.tokens).toEqual(expected);
      const whole = await failure(() => completion({ query: "q", model, models }));
      expect(whole.error.code).toBe(code);
    },
  );

  test("a stream with a finish reason but no [DONE] is complete (openai-node cannot see [DONE])", async () => {
    const server = await upstream({ tokens: ["a", "b"], omitDone: true });
    expect(await completion({ query: "q", model, models: registry(server) })).toBe("ab");
  });
});

describe("completion() model lookup", () => {
  test("an unknown model name fails with unknown_model and lists the configured ones, without a request", async () => {
    const server = await upstream();
    const { error } = await failure(() =>
      completion({ query: "q", model: "gpt-nope", models: registry(server) }),
    );
    expect(error.code).toBe("unknown_model");
    expect(error.message).toContain("test-completion, test-chat");
    expect(server.requests).toEqual([]);
  });

  test("without a model the first configured one is used", async () => {
    const server = await upstream({ tokens: ["x"] });
    await completion({ query: "q", models: registry(server) });
    expect(server.requests[0]?.path).toBe("/v1/completions");
    expect(server.requests[0]?.body).toMatchObject({ model: "test-completion" });
  });
});
