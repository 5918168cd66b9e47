/**
 * `GET /metrics` under `serve --workers`: the whole server's figures, not one worker's. The worker
 * a scrape lands on asks the primary; the primary asks every listening worker for its registry
 * (`getMetricsAsJSON()`), merges them with prom-client's `AggregatorRegistry.aggregate` (every
 * metric sums) and sends the text back. Every wait is bounded.
 *
 * @packageDocumentation
 */

import type { Worker } from "node:cluster";
import type { CompletionMetrics } from "../http/node/metrics.js";

/** How long the primary waits for the workers' registries; a worker that has not answered is left out. */
export const COLLECT_TIMEOUT_MS = 2_000;
/** How long a worker waits for the primary's merged figures before it answers 503. */
const ASK_TIMEOUT_MS = COLLECT_TIMEOUT_MS + 1_000;

/** The IPC messages of this file, tagged so that no other message is taken for one. */
export type MetricsMessage =
  | { type: "completion-chain:metrics-ask"; id: number }
  | {
      type: "completion-chain:metrics-answer";
      id: number;
      /** `null` when the figures could not be merged. */
      text: string | null;
      contentType: string;
    }
  | { type: "completion-chain:metrics-collect"; id: number }
  | { type: "completion-chain:metrics-collected"; id: number; metrics: unknown };

const isMessage = (message: unknown): message is MetricsMessage =>
  typeof message === "object" &&
  message !== null &&
  typeof (message as { type?: unknown }).type === "string" &&
  (message as { type: string }).type.startsWith("completion-chain:metrics-");

/** A worker's side: the `/metrics` route that asks the primary, and the answers to its collects. */
export interface WorkerMetrics {
  /** Answers a scrape with the whole server's figures (`HEAD`: the headers alone). */
  respond(request: Request): Promise<Response>;
  /** Stops answering the primary; fails the scrapes still waiting. */
  close(): void;
}

/**
 * Wires a worker's metrics to the primary over IPC (`process.send`).
 *
 * @param metrics - this worker's own metrics
 */
export function workerMetrics(metrics: CompletionMetrics): WorkerMetrics {
  let nextId = 0;
  const waiting = new Map<number, (answer: { text: string; contentType: string } | null) => void>();
  const onMessage = (message: unknown) => {
    if (!isMessage(message)) return;
    if (message.type === "completion-chain:metrics-collect") {
      // A registry that cannot be read goes unanswered: the primary's timer leaves it out.
      metrics.registry.getMetricsAsJSON().then(
        (json) => {
          const reply: MetricsMessage = {
            ...message,
            type: "completion-chain:metrics-collected",
            metrics: json,
          };
          if (process.connected) process.send?.(reply);
        },
        () => {},
      );
    } else if (message.type === "completion-chain:metrics-answer") {
      waiting.get(message.id)?.(message.text === null ? null : { ...message, text: message.text });
    }
  };
  process.on("message", onMessage);
  const ask = () =>
    new Promise<{ text: string; contentType: string } | null>((resolve) => {
      const id = ++nextId;
      const done = (answer: { text: string; contentType: string } | null) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(answer);
      };
      const timer = setTimeout(() => done(null), ASK_TIMEOUT_MS);
      waiting.set(id, done);
      const message: MetricsMessage = { type: "completion-chain:metrics-ask", id };
      // A false return means a backlog, not a lost message: the timer bounds the wait.
      if (process.connected) process.send?.(message);
      else done(null);
    });
  return {
    async respond(request) {
      const answer = await ask();
      if (answer === null) {
        return Response.json(
          {
            detail: {
              code: "metrics_unavailable",
              message: "The server's figures did not arrive in time",
            },
          },
          { status: 503 },
        );
      }
      const body = request.method === "HEAD" ? null : answer.text;
      return new Response(body, { status: 200, headers: { "content-type": answer.contentType } });
    },
    close() {
      process.off("message", onMessage);
      for (const done of [...waiting.values()]) done(null);
    },
  };
}

/**
 * The primary's side: answers a worker's `metrics-ask` with the merged registries of `workers()`.
 *
 * @param workers - the workers listening now (those that can answer)
 * @returns the handler for `cluster.on("message")`, and `close()` to end the collections in progress
 */
export function primaryMetrics(workers: () => Worker[]) {
  let nextId = 0;
  const collections = new Map<number, (worker: Worker, metrics: unknown) => void>();
  const timers = new Set<NodeJS.Timeout>();
  const collect = (asker: Worker, askId: number) => {
    const id = ++nextId;
    const targets = new Set(workers());
    const replies: unknown[] = [];
    const finish = async () => {
      clearTimeout(timer);
      timers.delete(timer);
      collections.delete(id);
      let answer: MetricsMessage;
      try {
        const { AggregatorRegistry } = await import("prom-client");
        const merged = AggregatorRegistry.aggregate(replies as never);
        const text = await merged.metrics();
        answer = {
          type: "completion-chain:metrics-answer",
          id: askId,
          text,
          contentType: merged.contentType,
        };
      } catch {
        answer = {
          type: "completion-chain:metrics-answer",
          id: askId,
          text: null,
          contentType: "",
        };
      }
      if (asker.isConnected()) asker.send(answer);
    };
    const timer = setTimeout(() => void finish(), COLLECT_TIMEOUT_MS);
    timers.add(timer);
    collections.set(id, (worker, metrics) => {
      if (!targets.delete(worker)) return;
      replies.push(metrics);
      if (targets.size === 0) void finish();
    });
    for (const worker of [...targets]) {
      const message: MetricsMessage = { type: "completion-chain:metrics-collect", id };
      if (worker.isConnected()) worker.send(message);
      else targets.delete(worker);
    }
    if (targets.size === 0) void finish();
  };
  return {
    onMessage(worker: Worker, message: unknown): void {
      if (!isMessage(message)) return;
      if (message.type === "completion-chain:metrics-ask") collect(worker, message.id);
      else if (message.type === "completion-chain:metrics-collected")
        collections.get(message.id)?.(worker, message.metrics);
    },
    close(): void {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      collections.clear();
    },
  };
}
