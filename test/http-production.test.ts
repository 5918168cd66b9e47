import { describe, expect, test } from "vitest";
import { createCompletionHandler } from "../src/http/index.js";
import { serveCompletion } from "../src/http/node/index.js";
import { registry, sleep, upstream } from "./helpers/fixtures.js";
import { endpoint, parseEvents, post, TRANSPORTS, type Transport } from "./helpers/http.js";

describe.each(TRANSPORTS)("%s transport", (transport: Transport) => {
  const serve: typeof endpoint = (options = {}) => endpoint({ ...options, transport });

  describe("model_name", () => {
    test("a provider:model string is a 422 naming the field: clients cannot build unconfigured models", async () => {
      const server = await upstream();
      const api = await serve({ models: registry(server) });
      const response = await post(api, { query: "hi", model_name: "openai:gpt-4o" });
      expect(response.status).toBe(422);
      const body = await response.json();
      expect(body.detail[0].loc).toEqual(["body", "model_name"]);
      expect(body.detail[0].msg).toContain("test-completion, test-chat");
      expect(server.requests).toHaveLength(0);
    });

    test("with no registry, only the environment's default model may be named", async () => {
      const server = await upstream();
      const saved = { ...process.env };
      process.env.OPENAI_BASE_URL = server.url;
      process.env.OPENAI_API_KEY = "k";
      process.env.OPENAI_MODEL = "env-model";
      try {
        const api = await serve({});
        expect((await post(api, { query: "hi", model_name: "other" })).status).toBe(422);
        const named = await post(api, { query: "hi", model_name: "env-model" });
        expect(named.status).toBe(200);
        expect(await named.text()).toBe("data: hi\r\n\r\n");
      } finally {
        process.env = saved;
      }
    });
  });

  test("a 100,000-character prompt_name is not echoed back in full", async () => {
    const server = await upstream();
    const api = await serve({ models: registry(server) });
    const response = await post(api, { query: "hi", prompt_name: "a".repeat(100_000) });
    expect(response.status).toBe(422);
    expect((await response.text()).length).toBeLessThan(1_000);
  });

  describe("a stalled upstream", () => {
    test("before the first token: 504 with a JSON body, and the upstream socket is closed", async () => {
      const server = await upstream({ tokens: ["never"], stallAfterTokens: 0 });
      const api = await serve({ models: registry(server), timeoutMs: 300 });
      const response = await post(api, { query: "hi", stream: true });
      expect(response.status).toBe(504);
      expect((await response.json()).detail.code).toBe("upstream_timeout");
      await server.waitForConnections(0);
    });

    test("after the headers: an error event with upstream_timeout ends the stream", async () => {
      const server = await upstream({ tokens: ["a", " b"], stallAfterTokens: 1 });
      const api = await serve({ models: registry(server), timeoutMs: 300 });
      const response = await post(api, { query: "hi", stream: true });
      expect(response.status).toBe(200);
      const events = parseEvents(await response.text());
      expect(events.map((event) => event.event ?? "message")).toEqual(["message", "error"]);
      expect(JSON.parse(events[1]?.data ?? "").code).toBe("upstream_timeout");
      await server.waitForConnections(0);
    });

    test("a model entry's own timeout wins over the handler's", async () => {
      const server = await upstream({ tokens: ["a", " b"], delayMs: (i) => (i === 1 ? 500 : 0) });
      const models = { m: { ...registry(server)["test-chat"], timeout: 5_000 } };
      const api = await serve({ models, timeoutMs: 100 });
      const response = await post(api, { query: "hi", stream: true });
      expect(await response.text()).toBe("data: a\r\n\r\ndata:  b\r\n\r\n");
    });
  });
});

describe("shutdown", () => {
  test("the handler's signal ends a stream in flight with a shutting_down event and aborts its upstream", async () => {
    const server = await upstream({ tokens: ["a", " b"], stallAfterTokens: 1 });
    const shutdown = new AbortController();
    const handler = createCompletionHandler({ models: registry(server), signal: shutdown.signal });
    const response = await handler(
      new Request("http://127.0.0.1/other/completion", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "hi", stream: true }),
      }),
    );
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: a\r\n\r\n");
    shutdown.abort();
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(parseEvents(rest).map((event) => [event.event, JSON.parse(event.data).code])).toEqual([
      ["error", "shutting_down"],
    ]);
    await server.waitForConnections(0);
  });

  test("close() lets a stream that ends within the grace period finish, then stops", async () => {
    const server = await upstream({ tokens: ["a", " b", " c"], delayMs: 100 });
    const api = await serveCompletion({
      port: 0,
      log: false,
      models: registry(server),
      graceMs: 5_000,
    });
    const response = await post(api, { query: "hi", stream: true });
    await sleep(50);
    const closed = api.close();
    expect(await response.text()).toBe("data: a\r\n\r\ndata:  b\r\n\r\ndata:  c\r\n\r\n");
    await closed;
  });

  test("close() ends a stream still running after the grace period with shutting_down, a waiting stream: false request with a 503, and refuses new requests", async () => {
    const server = await upstream({ tokens: ["a", " b"], stallAfterTokens: 1 });
    const lines: string[] = [];
    const api = await serveCompletion({
      port: 0,
      log: (line) => lines.push(line),
      models: registry(server),
      graceMs: 300,
    });
    const streamed = await post(api, { query: "hi", stream: true });
    const whole = post(api, { query: "hi", stream: false });
    while (server.requests.length < 2) await sleep(10);
    const closed = api.close();
    const events = parseEvents(await streamed.text());
    expect(events.map((event) => event.event ?? "message")).toEqual(["message", "error"]);
    expect(JSON.parse(events[1]?.data ?? "").code).toBe("shutting_down");
    const refused = await whole;
    expect(refused.status).toBe(503);
    expect((await refused.json()).detail.code).toBe("shutting_down");
    await closed;
    await server.waitForConnections(0);
    await expect(post(api, { query: "hi" })).rejects.toThrow();
    expect(lines.filter((line) => line.includes(" shutting_down "))).toHaveLength(2);
  });
});
