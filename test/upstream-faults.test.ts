import { describe, expect, test, vi } from "vitest";
import { completion } from "../src/index.js";
import { collect, failure, registry, streamFailure, upstream } from "./helpers/fixtures.js";
import { closedPort } from "./helpers/hostile-upstream.js";
import { endpoint, post, TRANSPORTS } from "./helpers/http.js";

const MODELS = ["test-completion", "test-chat"] as const;

/** A completions-API chunk carrying `text`, as the testing server frames one. */
const chunk = (text: string) =>
  `data: ${JSON.stringify({ id: "cmpl-x", object: "text_completion", created: 1, model: "m", choices: [{ text, index: 0, logprobs: null, finish_reason: null }] })}\n\n`;

describe.each(MODELS)("%s: an emoji split across two tokens", (model) => {
  test("is rejoined: the library yields it whole, never half a surrogate pair", async () => {
    const server = await upstream({ tokens: ["🎉 ", "\ud83c", "\udf89", " end"] });
    const tokens = await collect(
      completion({ query: "q", stream: true, model, models: registry(server) }),
    );
    expect(tokens).toEqual(["🎉 ", "🎉", " end"]);
    expect(await completion({ query: "q", model, models: registry(server) })).toBe("🎉 🎉 end");
  });
});

describe.each(TRANSPORTS)("%s transport: an emoji split across two tokens", (transport) => {
  test("is sent as one character, never as two U+FFFD", async () => {
    const server = await upstream({ tokens: ["\ud83c", "\udf89"] });
    const api = await endpoint({ transport, models: registry(server) });
    const text = await (await post(api, { query: "q", stream: true })).text();
    expect(text).toBe("data: 🎉\r\n\r\n");
    expect(text).not.toContain("\ufffd");
  });
});

describe.each(MODELS)("%s: a malformed upstream", (model) => {
  test("a data line that is not JSON is upstream_malformed, and nothing raw reaches the console", async () => {
    const server = await upstream({
      tokens: ["a", " b"],
      inject: { afterTokens: 1, bytes: "data: {not json, raw-bytes-here\n\n", after: "end" },
    });
    const printed = vi.spyOn(console, "error").mockImplementation(() => {});
    const written = vi.spyOn(process.stderr, "write");
    try {
      const { error, tokens } = await streamFailure({ model, models: registry(server) });
      expect(error.code).toBe("upstream_malformed");
      expect(tokens).toEqual(["a"]);
      expect(printed).not.toHaveBeenCalled();
      expect(written.mock.calls.join("")).not.toContain("raw-bytes-here");
    } finally {
      printed.mockRestore();
      written.mockRestore();
    }
  });

  test("a 16 MiB line with no newline is upstream_malformed, read once (not copied per chunk)", async () => {
    const server = await upstream({
      tokens: ["a"],
      inject: { afterTokens: 1, bytes: `data: ${"x".repeat(16 * 1024 * 1024)}`, after: "end" },
    });
    const { error, tokens } = await streamFailure({ model, models: registry(server) });
    expect(error.code).toBe("upstream_malformed");
    expect(error.message).toContain("8388608 bytes");
    expect(tokens).toEqual(["a"]);
    await server.waitForConnections(0);
  });
});

test("one valid event over the 8 MiB cap is upstream_malformed; one under it is a token", async () => {
  const big = "y".repeat(9 * 1024 * 1024);
  const server = await upstream({
    script: (request) => ({
      tokens: ["a"],
      inject: {
        afterTokens: 1,
        bytes: chunk(JSON.stringify(request.body).includes("big") ? big : "fits"),
        after: "continue",
      },
    }),
  });
  const models = registry(server);
  const small = await collect(
    completion({ query: "q", stream: true, model: "test-completion", models }),
  );
  expect(small).toEqual(["a", "fits"]);
  const { error } = await failure(() =>
    completion({ query: "big", model: "test-completion", models }),
  );
  expect(error.code).toBe("upstream_malformed");
});

test("an endpoint that refuses connections is named in the error, without credentials", async () => {
  const url = `http://127.0.0.1:${await closedPort()}/v1`;
  const { error } = await failure(() =>
    completion({
      query: "q",
      model: "m",
      models: { m: { kind: "chat", baseURL: url, apiKey: "k", maxRetries: 0 } },
    }),
  );
  expect(error.code).toBe("upstream_unavailable");
  expect(error.message).toContain(url);
});

test("a baseURL with user:password@ is refused before any request, without printing the password", async () => {
  const server = await upstream();
  const url = server.url.replace("http://", "http://me:hunter2-secret@");
  const { error } = await failure(() =>
    completion({ query: "q", model: "m", models: { m: { baseURL: url, apiKey: "k" } } }),
  );
  expect(error.code).toBe("invalid_options");
  expect(error.message).toContain("apiKey");
  expect(error.message).not.toContain("hunter2");
  expect(server.requests).toHaveLength(0);
});
