// `GET /metrics` under `serve --workers`, each side of its IPC protocol on its own: a worker's route
// (asking the primary, answering its collects) and the primary's merge. The cluster itself is in
// cli-serve-workers.test.ts; the paths here — a primary that does not answer, a worker that does
// not reply, a merge that fails — are the ones a running cluster does not take on demand.
import type { Worker } from "node:cluster";
import { Counter, Registry } from "prom-client";
import { afterEach, describe, expect, test, vi } from "vitest";
import {
  COLLECT_TIMEOUT_MS,
  type MetricsMessage,
  primaryMetrics,
  workerMetrics,
} from "../src/cli/cluster-metrics.js";
import type { CompletionMetrics } from "../src/http/node/metrics.js";

/** A registry with one counter at `value`, as a worker's own metrics. */
function registryAt(value: number): Registry {
  const registry = new Registry();
  new Counter({ name: "requests_total", help: "requests", registers: [registry] }).inc(value);
  return registry;
}

const own = (registry: Registry) => ({ registry }) as unknown as CompletionMetrics;

/** Captures what this process sends to its "primary" (`process.send`), restored after each test. */
function captureSends(): MetricsMessage[] {
  const sent: MetricsMessage[] = [];
  const ipc = process as unknown as { send: (message: MetricsMessage) => boolean };
  vi.spyOn(ipc, "send").mockImplementation((message) => {
    sent.push(message);
    return true;
  });
  vi.spyOn(process, "connected", "get").mockReturnValue(true);
  return sent;
}

/** A message as if the primary had sent it. */
const fromPrimary = (message: MetricsMessage) =>
  (process as unknown as NodeJS.EventEmitter).emit("message", message);

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("a worker's /metrics", () => {
  test("asks the primary and answers with its merged text; HEAD gets the headers alone", async () => {
    const sent = captureSends();
    const metrics = workerMetrics(own(registryAt(1)));
    try {
      const pending = metrics.respond(new Request("http://x/metrics"));
      const ask = sent[0] as Extract<MetricsMessage, { type: "completion-chain:metrics-ask" }>;
      expect(ask.type).toBe("completion-chain:metrics-ask");
      fromPrimary({
        type: "completion-chain:metrics-answer",
        id: ask.id,
        text: "requests_total 3\n",
        contentType: "text/plain; version=0.0.4",
      } satisfies MetricsMessage);
      const response = await pending;
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4");
      expect(await response.text()).toBe("requests_total 3\n");

      const head = metrics.respond(new Request("http://x/metrics", { method: "HEAD" }));
      const headAsk = sent[1] as { id: number };
      fromPrimary({
        type: "completion-chain:metrics-answer",
        id: headAsk.id,
        text: "requests_total 3\n",
        contentType: "text/plain",
      } satisfies MetricsMessage);
      expect((await head).body).toBeNull();
    } finally {
      metrics.close();
    }
  });

  test("a primary that does not answer in time is a 503 metrics_unavailable, not a hung scrape", async () => {
    vi.useFakeTimers();
    captureSends();
    const metrics = workerMetrics(own(registryAt(1)));
    try {
      const pending = metrics.respond(new Request("http://x/metrics"));
      await vi.advanceTimersByTimeAsync(COLLECT_TIMEOUT_MS + 1_000);
      const response = await pending;
      expect(response.status).toBe(503);
      expect(((await response.json()) as { detail: { code: string } }).detail.code).toBe(
        "metrics_unavailable",
      );
    } finally {
      metrics.close();
    }
  });

  test("a merge the primary could not make (text null) is a 503 too", async () => {
    const sent = captureSends();
    const metrics = workerMetrics(own(registryAt(1)));
    try {
      const pending = metrics.respond(new Request("http://x/metrics"));
      const { id } = sent[0] as { id: number };
      fromPrimary({
        type: "completion-chain:metrics-answer",
        id,
        text: null,
        contentType: "",
      } satisfies MetricsMessage);
      expect((await pending).status).toBe(503);
    } finally {
      metrics.close();
    }
  });

  test("close() ends the scrapes still waiting (503) and stops listening to the primary", async () => {
    captureSends();
    const listeners = process.listenerCount("message");
    const metrics = workerMetrics(own(registryAt(1)));
    expect(process.listenerCount("message")).toBe(listeners + 1);
    const pending = metrics.respond(new Request("http://x/metrics"));
    metrics.close();
    expect((await pending).status).toBe(503);
    expect(process.listenerCount("message")).toBe(listeners);
  });

  test("answers the primary's collect with its own registry", async () => {
    const sent = captureSends();
    const metrics = workerMetrics(own(registryAt(4)));
    try {
      fromPrimary({
        type: "completion-chain:metrics-collect",
        id: 7,
      } satisfies MetricsMessage);
      await vi.waitFor(() => expect(sent).toHaveLength(1));
      const reply = sent[0] as Extract<
        MetricsMessage,
        { type: "completion-chain:metrics-collected" }
      >;
      expect(reply).toMatchObject({ type: "completion-chain:metrics-collected", id: 7 });
      expect(JSON.stringify(reply.metrics)).toContain('"value":4');
    } finally {
      metrics.close();
    }
  });
});

/** A worker as the primary sees it: what it was sent, and whether it is connected. */
function fakeWorker(connected = true) {
  const sent: MetricsMessage[] = [];
  const worker = {
    sent,
    isConnected: () => connected,
    send: (message: MetricsMessage) => {
      sent.push(message);
      return true;
    },
  };
  return worker as typeof worker & Worker;
}

describe("the primary's merge", () => {
  test("sums every listening worker's registry and answers the worker that asked", async () => {
    const a = fakeWorker();
    const b = fakeWorker();
    const primary = primaryMetrics(() => [a, b]);
    try {
      primary.onMessage(a, { type: "completion-chain:metrics-ask", id: 1 });
      for (const [worker, value] of [
        [a, 2],
        [b, 5],
      ] as const) {
        const collect = worker.sent[0] as { id: number; type: string };
        expect(collect.type).toBe("completion-chain:metrics-collect");
        primary.onMessage(worker, {
          type: "completion-chain:metrics-collected",
          id: collect.id,
          metrics: await registryAt(value).getMetricsAsJSON(),
        });
      }
      await vi.waitFor(() => expect(a.sent).toHaveLength(2));
      const answer = a.sent[1] as Extract<
        MetricsMessage,
        { type: "completion-chain:metrics-answer" }
      >;
      expect(answer).toMatchObject({ type: "completion-chain:metrics-answer", id: 1 });
      expect(answer.text).toMatch(/^requests_total 7$/m);
      expect(b.sent).toHaveLength(1); // b was only asked to collect
    } finally {
      primary.close();
    }
  });

  test("a worker that does not reply within the collect time is left out, and the answer still comes", async () => {
    vi.useFakeTimers();
    const a = fakeWorker();
    const silent = fakeWorker();
    const primary = primaryMetrics(() => [a, silent]);
    try {
      primary.onMessage(a, { type: "completion-chain:metrics-ask", id: 3 });
      const collect = a.sent[0] as { id: number };
      primary.onMessage(a, {
        type: "completion-chain:metrics-collected",
        id: collect.id,
        metrics: await registryAt(2).getMetricsAsJSON(),
      });
      expect(a.sent).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(COLLECT_TIMEOUT_MS);
      await vi.waitFor(() => expect(a.sent).toHaveLength(2));
      expect((a.sent[1] as { text: string }).text).toMatch(/^requests_total 2$/m);
    } finally {
      primary.close();
    }
  });

  test("a reply from a worker that was not asked, or a second one, is not counted", async () => {
    const a = fakeWorker();
    const stranger = fakeWorker();
    const primary = primaryMetrics(() => [a]);
    try {
      primary.onMessage(a, { type: "completion-chain:metrics-ask", id: 9 });
      const { id } = a.sent[0] as { id: number };
      const json = await registryAt(10).getMetricsAsJSON();
      primary.onMessage(stranger, {
        type: "completion-chain:metrics-collected",
        id,
        metrics: json,
      });
      primary.onMessage(a, {
        type: "completion-chain:metrics-collected",
        id,
        metrics: await registryAt(1).getMetricsAsJSON(),
      });
      primary.onMessage(a, { type: "completion-chain:metrics-collected", id, metrics: json });
      await vi.waitFor(() => expect(a.sent).toHaveLength(2));
      expect((a.sent[1] as { text: string }).text).toMatch(/^requests_total 1$/m);
    } finally {
      primary.close();
    }
  });
});
