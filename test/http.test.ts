import { connect } from "node:net";
import { describe, expect, test } from "vitest";
import { registry, sleep, upstream } from "./helpers/fixtures.js";
import { closedBeforeToken } from "./helpers/order.js";
import {
  endpoint,
  parseEvents,
  post,
  rawRequest,
  TRANSPORTS,
  type Transport,
} from "./helpers/http.js";

// Every test runs against both ways the body reaches the socket (see helpers/http.ts).
describe.each(TRANSPORTS)("%s transport", (transport: Transport) => {
  const serve: typeof endpoint = (options = {}) => endpoint({ ...options, transport });

  describe("POST /other/completion: the wire format", () => {
    test("a streamed answer is framed byte for byte as sse-starlette frames it", async () => {
      const server = await upstream({ tokens: ["Hello", " world", "\n", "a\nb"] });
      const api = await serve({ models: registry(server) });
      const response = await rawRequest(
        api,
        "POST",
        "/other/completion",
        JSON.stringify({ query: "hi", stream: true }),
        {
          "content-type": "application/json",
        },
      );
      expect(response.status).toBe(200);
      expect(response.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
      expect(response.headers["cache-control"]).toBe("no-cache");
      expect(response.headers["x-accel-buffering"]).toBe("no");
      expect(response.headers["transfer-encoding"]).toBe("chunked");
      expect(response.headers["content-length"]).toBeUndefined();
      expect(response.body).toBe(
        "data: Hello\r\n\r\ndata:  world\r\n\r\ndata: \r\ndata: \r\n\r\ndata: a\r\ndata: b\r\n\r\n",
      );
    });

    test("stream: false sends exactly one event holding the whole answer", async () => {
      const server = await upstream({ tokens: ["Hello", ",", " 世界"] });
      const api = await serve({ models: registry(server) });
      const response = await post(api, { query: "hi" });
      expect(await response.text()).toBe("data: Hello, 世界\r\n\r\n");
    });

    test("an empty answer sends no event when streamed and one empty event otherwise", async () => {
      const server = await upstream({ tokens: [] });
      const api = await serve({ models: registry(server) });
      expect(await (await post(api, { query: "hi", stream: true })).text()).toBe("");
      expect(await (await post(api, { query: "hi", stream: false })).text()).toBe("data: \r\n\r\n");
    });

    test("a standard SSE parser gets every token back exactly: spaces, newlines, CJK, emoji", async () => {
      const tokens = [" leading", "two\nlines", "\n", "世界", "🌍", "👨‍👩‍👧", " ", "end "];
      const server = await upstream({ tokens, byteChunkSize: 3 });
      const api = await serve({ models: registry(server) });
      const events = parseEvents(await (await post(api, { query: "hi", stream: true })).text());
      expect(events.map((event) => event.data)).toEqual(tokens);
    });

    test("raw framing turns \\r\\n and a lone \\r into \\n (as the original); ?format=json keeps them", async () => {
      const tokens = ["a\r\nb", "c\rd", "\r", "\n", "x"];
      const server = await upstream({ tokens });
      const api = await serve({ models: registry(server) });
      const raw = parseEvents(await (await post(api, { query: "hi", stream: true })).text());
      expect(raw.map((event) => event.data)).toEqual(["a\nb", "c\nd", "\n", "\n", "x"]);
      const lossless = parseEvents(
        await (await post(api, { query: "hi", stream: true }, { query: "?format=json" })).text(),
      );
      expect(lossless.map((event) => JSON.parse(event.data).text)).toEqual(tokens);
    });

    test("echo, temperature, max_tokens and prompt_name reach the model as in the original", async () => {
      const server = await upstream({ tokens: ["ok"] });
      const api = await serve({ models: registry(server) });
      const text = await (
        await post(api, {
          query: "q",
          echo: true,
          temperature: 0.1,
          max_tokens: 0,
          model_name: "test-chat",
        })
      ).text();
      expect(text).toBe("data: qok\r\n\r\n");
      expect(server.requests[0]?.path).toBe("/v1/chat/completions");
      expect(server.requests[0]?.body).toMatchObject({ temperature: 0.1 });
      expect(server.requests[0]?.body).not.toHaveProperty("max_tokens");
    });

    test("a ping comment in Python's datetime format arrives every interval while the model is slow", async () => {
      const server = await upstream({ tokens: ["late"], delayMs: 250 });
      const api = await serve({ models: registry(server), pingIntervalMs: 100 });
      const text = await (await post(api, { query: "q", stream: true })).text();
      expect(text).toMatch(/^: ping - \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\r\n\r\n/);
      expect(text.endsWith("data: late\r\n\r\n")).toBe(true);
      expect(parseEvents(text).map((event) => event.data)).toEqual(["late"]);
    });
  });

  describe("POST /other/completion: errors", () => {
    test("a temperature out of range gets FastAPI's 422 body, byte for byte", async () => {
      const api = await serve({ models: registry(await upstream()) });
      const response = await post(api, { query: "x", temperature: 1.5 });
      expect(response.status).toBe(422);
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(await response.text()).toBe(
        '{"detail":[{"loc":["body","temperature"],"msg":"ensure this value is less than or equal to 1.0","type":"value_error.number.not_le","ctx":{"limit_value":1.0}}]}',
      );
    });

    test("an unknown prompt_name or model_name is a 422 naming the field, before any upstream request", async () => {
      const server = await upstream();
      const api = await serve({ models: registry(server) });
      const prompt = await post(api, { query: "x", prompt_name: "nope" });
      expect(prompt.status).toBe(422);
      expect((await prompt.json()).detail[0]).toMatchObject({
        loc: ["body", "prompt_name"],
        type: "value_error.unknown_prompt",
      });
      const model = await post(api, { query: "x", model_name: "nope", stream: true });
      expect(model.status).toBe(422);
      expect((await model.json()).detail[0]).toMatchObject({
        loc: ["body", "model_name"],
        type: "value_error.unknown_model",
      });
      const path = await post(api, { query: "x", prompt_name: "../etc/passwd" });
      expect(path.status).toBe(422);
      expect((await path.json()).detail[0].loc).toEqual(["body", "prompt_name"]);
      expect(server.requests).toEqual([]);
    });

    test("GET is 405 with FastAPI's body, other paths 404, /health 200", async () => {
      const api = await serve({ models: registry(await upstream()) });
      const get = await fetch(`${api.url}/other/completion`);
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
      expect(await get.text()).toBe('{"detail":"Method Not Allowed"}');
      const missing = await fetch(`${api.url}/chat/chat`, { method: "POST" });
      expect(missing.status).toBe(404);
      expect(await missing.text()).toBe('{"detail":"Not Found"}');
      expect(await (await fetch(`${api.url}/health`)).json()).toEqual({ status: "ok" });
    });

    test("a body over the limit is 413, whether declared or streamed", async () => {
      const api = await serve({ models: registry(await upstream()), maxBodyBytes: 1000 });
      const declared = await post(api, { query: "x".repeat(2000) });
      expect(declared.status).toBe(413);
      const chunked = await fetch(`${api.url}/other/completion`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < 10; i += 1)
              controller.enqueue(new TextEncoder().encode(" ".repeat(200)));
            controller.close();
          },
        }),
        duplex: "half",
      } as RequestInit);
      expect(chunked.status).toBe(413);
    });

    test("an upstream failure before the first token is a 502 with a JSON detail and no API key", async () => {
      const server = await upstream({ status: 500 });
      const api = await serve({ models: registry(server, "sk-http-SECRET-9999") });
      for (const stream of [true, false]) {
        const response = await post(api, { query: "x", stream });
        expect(response.status).toBe(502);
        const text = await response.text();
        expect(JSON.parse(text).detail).toMatchObject({ code: "upstream_error" });
        expect(text).not.toContain("sk-http-SECRET-9999");
      }
    });

    test("an upstream failure after tokens ends the stream with an error event after them", async () => {
      const server = await upstream({ tokens: ["one", " two", " three"], dropAfterTokens: 2 });
      const api = await serve({ models: registry(server) });
      const events = parseEvents(await (await post(api, { query: "x", stream: true })).text());
      expect(events.slice(0, 2).map((event) => event.data)).toEqual(["one", " two"]);
      expect(events[2]?.event).toBe("error");
      expect(JSON.parse(events[2]?.data ?? "{}")).toMatchObject({ code: "upstream_incomplete" });
      expect(events).toHaveLength(3);
    });
  });

  describe("POST /other/completion: stream false", () => {
    test("a failure after some tokens, before anything was sent, is still a 502", async () => {
      const server = await upstream({ tokens: ["one", " two", " three"], dropAfterTokens: 2 });
      const api = await serve({ models: registry(server) });
      const response = await post(api, { query: "x", stream: false });
      expect(response.status).toBe(502);
      expect((await response.json()).detail.code).toBe("upstream_incomplete");
    });

    test("a slow whole answer gets pings first, then its one event", async () => {
      const server = await upstream({ tokens: ["slow", " answer"], delayMs: 120 });
      const api = await serve({ models: registry(server), pingIntervalMs: 100 });
      const response = await post(api, { query: "x", stream: false });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text.startsWith(": ping - ")).toBe(true);
      expect(parseEvents(text).map((event) => event.data)).toEqual(["slow answer"]);
      expect(text.endsWith("data: slow answer\r\n\r\n")).toBe(true);
    });
  });

  describe("POST /other/completion: connections", () => {
    test("a client that disconnects aborts the upstream request before its next token", async () => {
      const server = await upstream({
        tokens: ["first", " never"],
        delayMs: (index) => (index === 0 ? 0 : 5_000),
      });
      const api = await serve({ models: registry(server) });
      const response = await post(api, { query: "x", stream: true });
      const reader = response.body?.getReader();
      const first = await reader?.read();
      expect(new TextDecoder().decode(first?.value)).toBe("data: first\r\n\r\n");
      await reader?.cancel();
      expect(await closedBeforeToken(server, 2)).toBe("closed");
      await sleep(50);
      expect(server.tokensSent()).toBe(1);
    });

    test("a client that disconnects is logged once, as client_closed", async () => {
      const server = await upstream({
        tokens: ["first", " never"],
        delayMs: (index) => (index === 0 ? 0 : 5_000),
      });
      const lines: string[] = [];
      const api = await serve({ models: registry(server), log: (line) => lines.push(line) });
      const response = await post(api, { query: "x", stream: true });
      const reader = response.body?.getReader();
      await reader?.read();
      await reader?.cancel();
      await server.waitForConnections(0);
      await sleep(50);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^\d{4}-\d\d-\d\dT\S+Z POST \/other\/completion 200 \d+ms 1 tokens client_closed ttft=\d+ms id=\S+$/,
      );
    });

    test("a client that goes away in the middle of its body is logged once, as client_closed", async () => {
      const lines: string[] = [];
      const api = await serve({
        models: registry(await upstream()),
        log: (line) => lines.push(line),
      });
      const { port } = new URL(api.url);
      const socket = connect(Number(port), "127.0.0.1");
      await new Promise((resolve) => socket.once("connect", resolve));
      socket.write(
        'POST /other/completion HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":',
      );
      await sleep(50);
      socket.destroy();
      for (let waited = 0; lines.length === 0 && waited < 2_000; waited += 20) await sleep(20);
      await sleep(50);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        / POST \/other\/completion 499 \d+ms 0 tokens client_closed id=\S+$/,
      );
    });

    test("200 concurrent streams each receive their complete text", async () => {
      const server = await upstream({ delayMs: 2 });
      const api = await serve({ models: registry(server) });
      const queries = Array.from(
        { length: 200 },
        (_, i) => `stream ${i} says ${"word ".repeat(i % 7)}done`,
      );
      const texts = await Promise.all(
        queries.map(async (query) => {
          const events = parseEvents(await (await post(api, { query, stream: true })).text());
          return events.map((event) => event.data).join("");
        }),
      );
      expect(texts).toEqual(queries);
    });

    test("CORS: an allowed origin gets its header and a preflight, another origin gets neither", async () => {
      const api = await serve({
        models: registry(await upstream({ tokens: ["x"] })),
        corsOrigins: ["http://app.test"],
      });
      const preflight = await fetch(`${api.url}/other/completion`, {
        method: "OPTIONS",
        headers: { origin: "http://app.test", "access-control-request-headers": "content-type" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("http://app.test");
      const allowed = await post(api, { query: "q" }, { headers: { origin: "http://app.test" } });
      expect(allowed.headers.get("access-control-allow-origin")).toBe("http://app.test");
      await allowed.text();
      const other = await post(api, { query: "q" }, { headers: { origin: "http://evil.test" } });
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
      await other.text();
    });
  });
});
