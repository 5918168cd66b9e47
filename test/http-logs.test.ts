// The request log of serveCompletion: one JSON object (pino's) or one human line per request, with
// the request id the client got back; nothing of the query or the answer unless logContent.
import { describe, expect, test } from "vitest";
import { LOG_CONTENT_MAX_CHARS } from "../src/defaults.js";
import type { ServeOptions } from "../src/http/node/index.js";
import { registry, sleep, upstream } from "./helpers/fixtures.js";
import { endpoint, post, TRANSPORTS } from "./helpers/http.js";

const QUERY = "zebra-quokka-query-7781";
const ANSWER = ["pangolin-", "answer-", "quetzal"];
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A served endpoint whose log lines land in `lines`. */
async function logging(options: ServeOptions & { transport?: "node" | "web" }) {
  const lines: string[] = [];
  const api = await endpoint({ ...options, log: (line) => lines.push(line) });
  /** Waits for the `n`th line (a request is logged when its response has ended). */
  const line = async (n = 1) => {
    while (lines.length < n) await sleep(5);
    return lines[n - 1] as string;
  };
  return { api, lines, line, json: async (n = 1) => JSON.parse(await line(n)) };
}

describe.each(TRANSPORTS)("%s transport, logFormat: json", (transport) => {
  test("a streamed request is one JSON line: time, level, msg, the request id sent back, route, status, tokens, ttft, duration", async () => {
    const server = await upstream({ tokens: ANSWER });
    const { api, lines, json } = await logging({
      transport,
      models: registry(server),
      logFormat: "json",
    });
    const response = await post(api, { query: QUERY, stream: true });
    await response.text();
    const entry = await json();
    expect(entry).toMatchObject({
      level: "info",
      msg: "request",
      pid: process.pid,
      requestId: response.headers.get("x-request-id"),
      method: "POST",
      path: "/other/completion",
      status: 200,
      tokens: 3,
      stream: true,
    });
    expect(entry.time).toMatch(ISO_TIME);
    expect(entry.durationMs).toBeGreaterThanOrEqual(entry.ttftMs);
    expect(entry.ttftMs).toBeGreaterThanOrEqual(0);
    expect(entry).not.toHaveProperty("error");
    expect(entry).not.toHaveProperty("disconnect");
    expect(lines).toHaveLength(1);
  });

  test("a 422, a 404 and an upstream failure before and after the headers carry their status and error code", async () => {
    const failing = await upstream({ status: 500 });
    const dropping = await upstream({ tokens: ["a", "b", "c"], dropAfterTokens: 1 });
    const models = {
      failing: { baseURL: failing.url, apiKey: "k", maxRetries: 0 },
      dropping: { baseURL: dropping.url, apiKey: "k", maxRetries: 0 },
    };
    const { api, json } = await logging({ transport, models, logFormat: "json" });
    const headers = { "x-request-id": "given-id-1" };
    expect((await post(api, { query: "q", temperature: 3 }, { headers })).status).toBe(422);
    expect(await json(1)).toMatchObject({
      requestId: "given-id-1",
      status: 422,
      error: "invalid_options",
      level: "info",
    });
    expect((await fetch(`${api.url}/nowhere`)).status).toBe(404);
    expect(await json(2)).toMatchObject({ method: "GET", path: "/nowhere", status: 404 });
    expect((await json(2)).error).toBeUndefined();
    const before = await post(api, { query: "q", stream: true, model_name: "failing" });
    expect(before.status).toBe(502);
    const third = await json(3);
    expect(third).toMatchObject({ status: 502, stream: true, level: "error", tokens: 0 });
    expect(third.error).toEqual(expect.any(String));
    expect(third.requestId).toBe(before.headers.get("x-request-id"));
    const after = await post(api, { query: "q", stream: true, model_name: "dropping" });
    expect(after.status).toBe(200);
    await after.text();
    const fourth = await json(4);
    expect(fourth).toMatchObject({ status: 200, tokens: 1, level: "error" });
    expect(fourth.error).toEqual(expect.any(String));
    expect(fourth).not.toHaveProperty("disconnect");
  });

  test("a client that goes away mid-stream is logged with disconnect client_closed, not as an error", async () => {
    const server = await upstream({
      tokens: ["first", " never"],
      delayMs: (index) => (index === 0 ? 0 : 5_000),
    });
    const { api, json } = await logging({
      transport,
      models: registry(server),
      logFormat: "json",
    });
    const response = await post(api, { query: "q", stream: true });
    const reader = response.body?.getReader();
    await reader?.read();
    await reader?.cancel();
    const entry = await json();
    expect(entry).toMatchObject({ status: 200, tokens: 1, disconnect: "client_closed" });
    expect(entry.requestId).toBe(response.headers.get("x-request-id"));
    expect(entry).not.toHaveProperty("error");
  });
});

describe("logFormat: pretty", () => {
  test("one line per request: time, method, path, status, duration, tokens, ttft and the request id", async () => {
    const server = await upstream({ tokens: ANSWER });
    const { api, lines, line } = await logging({ models: registry(server), logFormat: "pretty" });
    const headers = { "x-request-id": "pretty-1" };
    await (await post(api, { query: QUERY, stream: true }, { headers })).text();
    await (await fetch(`${api.url}/nowhere`, { headers: { "x-request-id": "pretty-2" } })).text();
    expect(await line(1)).toMatch(
      /^\d{4}-\S+Z POST \/other\/completion 200 \d+ms 3 tokens ttft=\d+ms id=pretty-1$/,
    );
    expect(await line(2)).toMatch(/^\d{4}-\S+Z GET \/nowhere 404 \d+ms 0 tokens id=pretty-2$/);
    expect(lines).toHaveLength(2);
  });
});

describe.each(TRANSPORTS)("%s transport: logContent", (transport) => {
  test.each(["json", "pretty"] as const)(
    "off (%s), no line holds the query or the answer, streamed or not",
    async (logFormat) => {
      const server = await upstream({ tokens: ANSWER });
      const { api, lines, line } = await logging({
        transport,
        models: registry(server),
        logFormat,
      });
      for (const stream of [true, false]) {
        expect(await (await post(api, { query: QUERY, stream })).text()).toContain("quetzal");
      }
      await line(2);
      expect(lines.join("\n")).not.toMatch(/zebra|pangolin|quetzal/);
    },
  );

  test("on, the line holds the query, the prompt and model names and the answer", async () => {
    const server = await upstream({ tokens: ANSWER });
    const { api, line } = await logging({ transport, models: registry(server), logContent: true });
    await (await post(api, { query: QUERY, stream: true, model_name: "test-chat" })).text();
    await (await post(api, { query: QUERY, stream: false })).text();
    for (const n of [1, 2]) {
      const text = await line(n);
      expect(text).toContain(`query="${QUERY}" answer="pangolin-answer-quetzal"`);
      expect(text).toContain('promptName="default"');
    }
    expect(await line(1)).toContain('modelName="test-chat"');
    expect(await line(2)).not.toContain("modelName");
  });
});

test("logContent with json: query and answer are fields, each cut at the cap and listed in truncated", async () => {
  const big = "w".repeat(40_000);
  const server = await upstream({ tokens: [big, big, big] });
  const { api, json } = await logging({
    models: registry(server),
    logFormat: "json",
    logContent: true,
  });
  const query = `${"q".repeat(LOG_CONTENT_MAX_CHARS)}tail`;
  await (await post(api, { query, stream: true })).text();
  const entry = await json();
  expect(entry.query).toBe("q".repeat(LOG_CONTENT_MAX_CHARS));
  expect(entry.answer).toBe("w".repeat(LOG_CONTENT_MAX_CHARS));
  expect(entry.truncated).toEqual(["query", "answer"]);
  expect(entry.tokens).toBe(3);
  await (await post(api, { query: QUERY })).text();
  const whole = await json(2);
  expect(whole).toMatchObject({ query: QUERY, answer: `${big}${big}${big}`.slice(0, 65_536) });
});

test("with logContent, no key reaches the log: neither the registry's nor the client's Authorization header", async () => {
  const key = "sk-distinctive-registry-key-5521";
  const server = await upstream({ tokens: ["ok"], apiKey: key });
  const { api, line } = await logging({
    models: registry(server, key),
    logFormat: "json",
    logContent: true,
  });
  const headers = { authorization: "Bearer sk-client-token-8812" };
  await (await post(api, { query: "hi", stream: true }, { headers })).text();
  await (await post(api, { query: "hi", model_name: "nope" }, { headers })).text();
  const text = `${await line(1)}\n${await line(2)}`;
  expect(text).toContain('"answer":"ok"');
  expect(text).not.toMatch(/sk-|Bearer|authorization/i);
});
