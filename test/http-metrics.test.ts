// GET /metrics on serveCompletion: prom-client's text format, fed from each request's log entry.
// Each request is awaited to its log line (written after the metrics are recorded) before a scrape.
import { connect } from "node:net";
import { describe, expect, test } from "vitest";
import { serveOptionsFromFlags } from "../src/cli/serve.js";
import { createCompletionHandler } from "../src/http/index.js";
import { type CompletionServer, createCompletionMetrics } from "../src/http/node/index.js";
import type { TestingServer } from "../src/testing/index.js";
import { registry, upstream } from "./helpers/fixtures.js";
import { endpoint, post } from "./helpers/http.js";
import { find, parseSamples, type Sample, value } from "./helpers/prometheus-text.js";
import { seeded } from "./helpers/random.js";

const COMPLETION = "/other/completion";

/** A log that resolves `ended(n)` once `n` requests have ended: no polling, no timers. */
function endedRequests() {
  const lines: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const log = (line: string) => {
    lines.push(line);
    for (const waiter of waiters.filter((each) => lines.length >= each.n)) waiter.resolve();
  };
  const ended = (n: number) =>
    new Promise<void>((resolve) => {
      if (lines.length >= n) resolve();
      else waiters.push({ n, resolve });
    });
  return { lines, log, ended };
}

/** An upstream whose answer the query picks: "fail" → 500, "slow …" → one token then nothing. */
function scriptedUpstream(): Promise<TestingServer> {
  return upstream({
    script: (request) => {
      const prompt = String((request.body as { prompt?: unknown } | undefined)?.prompt ?? "");
      if (prompt === "fail") return { status: 500 };
      if (prompt === "stall") return { stallAfterTokens: 0 };
      if (prompt.startsWith("slow")) return { tokens: ["first", " never"], stallAfterTokens: 1 };
      return {};
    },
  });
}

async function scrape(api: CompletionServer): Promise<{ text: string; samples: Sample[] }> {
  const response = await fetch(`${api.url}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, samples: parseSamples(text) };
}

/** Opens a streamed completion and reads its first frame; returns a function that drops it. */
async function openStream(api: CompletionServer, query: string): Promise<() => Promise<void>> {
  const response = await post(api, { query, stream: true });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: first\r\n\r\n");
  return () => reader.cancel();
}

describe("GET /metrics", () => {
  test("after a stream, a 422, a 404, two upstream failures and a client disconnect, every counter and histogram count is exact", async () => {
    const server = await scriptedUpstream();
    const models = {
      ...registry(server),
      // Its own short timeout, so that only the request naming it times out.
      quick: { ...registry(server)["test-completion"], timeout: 200 },
    };
    const { log, ended } = endedRequests();
    const api = await endpoint({ models, log });

    expect(await (await post(api, { query: "hello big world", stream: true })).text()).toBe(
      "data: hello\r\n\r\ndata:  big\r\n\r\ndata:  world\r\n\r\n",
    );
    expect((await post(api, { query: "x", temperature: 2 })).status).toBe(422);
    expect((await fetch(`${api.url}/no/such/path`)).status).toBe(404);
    expect((await post(api, { query: "fail" })).status).toBe(502);
    expect((await post(api, { query: "stall", model_name: "quick" })).status).toBe(504);
    const drop = await openStream(api, "slow one");
    await drop();
    await ended(6);

    const { samples } = await scrape(api);
    const requests = find(samples, "completion_chain_requests_total").map(
      ({ labels, value }) =>
        `${labels.method} ${labels.route} ${labels.status} ${labels.code} ${value}`,
    );
    expect(requests.sort()).toEqual(
      [
        `POST ${COMPLETION} 200 none 1`,
        `POST ${COMPLETION} 422 invalid_options 1`,
        "GET other 404 none 1",
        `POST ${COMPLETION} 502 upstream_error 1`,
        `POST ${COMPLETION} 504 upstream_timeout 1`,
        `POST ${COMPLETION} 200 client_closed 1`,
      ].sort(),
    );
    // Five completion requests; two of them got a first token (the stream and the dropped one).
    expect(value(samples, "completion_chain_request_duration_seconds_count")).toBe(5);
    expect(value(samples, "completion_chain_time_to_first_token_seconds_count")).toBe(2);
    expect(value(samples, "completion_chain_tokens_total")).toBe(4);
    expect(value(samples, "completion_chain_tokens_total")).toBe(server.tokensSent());
    const disconnects = { reason: "client_closed" };
    expect(value(samples, "completion_chain_client_disconnects_total", disconnects)).toBe(1);
    expect(
      value(samples, "completion_chain_client_disconnects_total", { reason: "client_timeout" }),
    ).toBe(0);
    const upstreamErrors = find(samples, "completion_chain_upstream_errors_total")
      .filter((sample) => sample.value > 0)
      .map((sample) => `${sample.labels.code} ${sample.value}`);
    expect(upstreamErrors.sort()).toEqual(["upstream_error 1", "upstream_timeout 1"]);
    expect(value(samples, "completion_chain_streams_in_flight")).toBe(0);
  });

  test("streams_in_flight is 1 while a stream is open and 0 once its client has gone", async () => {
    const server = await scriptedUpstream();
    const { log, ended } = endedRequests();
    const api = await endpoint({ models: registry(server), log });
    const drop = await openStream(api, "slow one");
    expect(value((await scrape(api)).samples, "completion_chain_streams_in_flight")).toBe(1);
    await drop();
    await ended(2); // the scrape, then the stream
    expect(value((await scrape(api)).samples, "completion_chain_streams_in_flight")).toBe(0);
  });

  test("a client that reads nothing is counted as a client_timeout disconnect once it is dropped", async () => {
    // 24 MB of 1 KiB tokens: more than loopback socket buffers hold, so the writes back up.
    const tokens = Array.from({ length: 24_000 }, (_, i) => `${i}${"x".repeat(1_000)} `);
    const server = await upstream({ tokens });
    const { log, ended } = endedRequests();
    const api = await endpoint({ models: registry(server), clientTimeoutMs: 300, log });
    const socket = connect(api.port, "127.0.0.1");
    const body = JSON.stringify({ query: "q", stream: true });
    socket.write(
      `POST ${COMPLETION} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    socket.pause();
    try {
      await ended(1);
      const { samples } = await scrape(api);
      const reason = { reason: "client_timeout" };
      expect(value(samples, "completion_chain_client_disconnects_total", reason)).toBe(1);
      const labels = { route: COMPLETION, method: "POST", status: "200", code: "client_timeout" };
      expect(value(samples, "completion_chain_requests_total", labels)).toBe(1);
      expect(value(samples, "completion_chain_streams_in_flight")).toBe(0);
    } finally {
      socket.destroy();
    }
  });

  test("a scrape is itself a request: the next scrape counts it, and it carries an x-request-id as every routed response does", async () => {
    const api = await endpoint({});
    const first = await fetch(`${api.url}/metrics`);
    expect(first.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(first.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(find(parseSamples(await first.text()), "completion_chain_requests_total")).toEqual([]);
    const { samples } = await scrape(api);
    const labels = { route: "/metrics", method: "GET", status: "200", code: "none" };
    expect(value(samples, "completion_chain_requests_total", labels)).toBe(1);
    const head = await fetch(`${api.url}/metrics`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  test("two servers in one process count apart: each has its own registry", async () => {
    const server = await upstream();
    const a = await endpoint({ models: registry(server) });
    const b = await endpoint({ models: registry(server) });
    await (await post(a, { query: "hi there" })).text();
    const fromA = (await scrape(a)).samples;
    const fromB = (await scrape(b)).samples;
    const ok = { route: COMPLETION, method: "POST", status: "200", code: "none" };
    expect(value(fromA, "completion_chain_requests_total", ok)).toBe(1);
    expect(value(fromA, "completion_chain_tokens_total")).toBe(2);
    expect(find(fromB, "completion_chain_requests_total", { route: COMPLETION })).toEqual([]);
    expect(value(fromB, "completion_chain_tokens_total")).toBe(0);
  });

  test("metrics: false and serve --no-metrics: /metrics is a 404", async () => {
    const api = await endpoint({ metrics: false });
    expect((await fetch(`${api.url}/metrics`)).status).toBe(404);
    expect(serveOptionsFromFlags({ "no-metrics": true }).metrics).toBe(false);
    expect(serveOptionsFromFlags({}).metrics).toBeUndefined(); // serveCompletion's default: on
  });

  test("a scrape names no model URL, key or query", async () => {
    const server = await upstream();
    const { log, ended } = endedRequests();
    const key = "sk-metrics-secret-4f1d9c";
    const api = await endpoint({ models: registry(server, key), log });
    await (await post(api, { query: "private words 7d2e", stream: true })).text();
    await (await post(api, { query: "private words 7d2e", model_name: "nope" })).text();
    await ended(2);
    const { text } = await scrape(api);
    for (const secret of [key, server.url, `:${server.port}`, "private", "7d2e", "nope"]) {
      expect(text).not.toContain(secret);
    }
  });

  test("50 random paths and methods add one route=other series per method and status, never a path", async () => {
    const api = await endpoint({});
    const random = seeded(12);
    const paths: string[] = [];
    for (let i = 0; i < 50; i++) {
      const path = `/${Math.floor(random() * 1e12).toString(36)}/${i}`;
      paths.push(path);
      const method = i % 2 === 0 ? "GET" : "DELETE";
      expect((await fetch(`${api.url}${path}`, { method })).status).toBe(404);
    }
    const { text, samples } = await scrape(api);
    const series = find(samples, "completion_chain_requests_total");
    expect(series.map((sample) => sample.labels.route)).toEqual(["other", "other"]);
    expect(series.map((sample) => sample.value)).toEqual([25, 25]);
    for (const path of paths) expect(text).not.toContain(path);
  });

  test("createCompletionMetrics counts a createCompletionHandler's requests the same way", async () => {
    const server = await upstream();
    const metrics = createCompletionMetrics();
    const handler = createCompletionHandler({
      models: registry(server),
      onRequestEnd: (entry) => metrics.requestEnded(entry),
    });
    const request = new Request(`http://localhost${COMPLETION}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "one two", stream: true }),
    });
    metrics.requestStarted(request);
    const response = await handler(request);
    const before = parseSamples(await (await metrics.respond(new Request("http://x/m"))).text());
    expect(value(before, "completion_chain_streams_in_flight")).toBe(1);
    await response.text();
    const after = parseSamples(await (await metrics.respond(new Request("http://x/m"))).text());
    expect(value(after, "completion_chain_streams_in_flight")).toBe(0);
    expect(value(after, "completion_chain_tokens_total")).toBe(2);
    expect(value(after, "completion_chain_request_duration_seconds_count")).toBe(1);
  });
});
