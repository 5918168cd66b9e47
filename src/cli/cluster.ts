/**
 * The primary of `serve --workers N` (node:cluster): it forks N workers that share one port,
 * replaces a worker that exits, gives up on a crash loop, and on SIGINT/SIGTERM has every worker
 * drain (each as a single `serve` does, with `--grace`); a second signal kills them at once.
 *
 * @packageDocumentation
 */

import cluster, { type Worker } from "node:cluster";
import type { LogFormat } from "../http/node/request-logger.js";
import { createServerLog } from "../http/node/request-logger.js";
import type { ModelKind } from "../models.js";
import { exposureWarning } from "./api-keys.js";
import { primaryMetrics } from "./cluster-metrics.js";
import { DEMO_URL_ENV, type ListeningMessage } from "./cluster-worker.js";
import { OFFLINE_DEMO_MODEL, startOfflineDemo } from "./offline-demo.js";

/**
 * A worker that exits before it listens, or sooner than this after its start, counts towards a crash
 * loop. Not by time alone: a worker that fails its startup (a key file gone, a bad flag) takes as
 * long as loading the CLI does, which on a slow or busy machine is more than any fixed time, and
 * such a loop must still end.
 */
const QUICK_EXIT_MS = 1_000;
/** Quick exits in a row, per worker, after which the primary gives up. */
const QUICK_EXITS_PER_WORKER = 3;
/** What the primary waits past `--grace` for the workers to exit before it kills them. */
const EXIT_MARGIN_MS = 5_000;

/** What the primary needs of the flags, all checked already. */
export interface PrimaryOptions {
  workers: number;
  /** Set when no endpoint is configured: the primary starts the one offline demo model. */
  demo: ModelKind | undefined;
  logFormat: LogFormat | undefined;
  graceMs: number;
  apiKeys: readonly string[];
  playground: boolean;
}

const isListening = (message: unknown): message is ListeningMessage =>
  typeof message === "object" &&
  message !== null &&
  (message as { type?: unknown }).type === "completion-chain:listening";

const exitOf = (code: number | null, signal: string | null) =>
  signal === null ? `code ${code}` : `signal ${signal}`;

/**
 * Runs the cluster until it is stopped; the process exits from here (0 when every worker drained).
 *
 * @param options - the workers, the demo model to start, the log, the grace period
 */
export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const { workers: count, graceMs } = options;
  const log = createServerLog({ logFormat: options.logFormat });
  const demo = options.demo === undefined ? undefined : await startOfflineDemo(options.demo);
  const demoURL = demo?.models[OFFLINE_DEMO_MODEL]?.baseURL;
  const env = demoURL === undefined ? {} : { [DEMO_URL_ENV]: demoURL };
  const started = new Map<Worker, number>();
  const listening = new Set<Worker>();
  const metrics = primaryMetrics(() => [...listening]);
  let url: string | undefined;
  let quickExits = 0;
  let stopping = false;
  let failed = false;
  let deadline: NodeJS.Timeout | undefined;

  const fork = () => started.set(cluster.fork(env), Date.now());
  const alive = () => [...started.keys()];
  const finish = async () => {
    clearTimeout(deadline);
    metrics.close();
    cluster.off("message", onMessage);
    cluster.off("exit", onExit);
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await demo?.close();
    await log.close();
    process.exit(failed ? 1 : 0);
  };
  const drain = (exitCode: 0 | 1) => {
    stopping = true;
    if (exitCode === 1) failed = true;
    for (const worker of alive()) worker.process.kill("SIGTERM");
    deadline = setTimeout(() => {
      log.note(
        "error",
        `workers still running ${(graceMs + EXIT_MARGIN_MS) / 1000} s after the drain began; killing them`,
      );
      failed = true;
      for (const worker of alive()) worker.process.kill("SIGKILL");
    }, graceMs + EXIT_MARGIN_MS);
    if (started.size === 0) void finish();
  };
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.note("warn", `${signal} again, stopping at once`, { signal });
      for (const worker of alive()) worker.process.kill("SIGKILL");
      process.exit(1);
    }
    log.note(
      "info",
      `${signal} received, draining ${started.size} workers: no new connections; the streams in flight get ${graceMs / 1000} s (--grace) to finish; ${signal} again stops at once`,
      { signal, graceMs, workers: started.size },
    );
    drain(0);
  };
  const onMessage = (worker: Worker, message: unknown) => {
    if (!isListening(message)) return metrics.onMessage(worker, message);
    listening.add(worker);
    const { pid } = worker.process;
    log.note("info", `worker ${pid} listening`, { worker: pid });
    if (url !== undefined) return;
    url = message.url;
    const warning = exposureWarning(url, options.apiKeys);
    if (warning !== undefined) process.stderr.write(`${warning}\n`);
    log.note("info", `serving POST ${url}/other/completion`, { url, workers: count });
    if (options.playground) log.note("info", `playground at ${url}/`, { url: `${url}/` });
  };
  const onExit = (worker: Worker, code: number | null, signal: string | null) => {
    const lifetime = Date.now() - (started.get(worker) ?? 0);
    const wasListening = listening.delete(worker);
    started.delete(worker);
    const { pid } = worker.process;
    if (stopping) {
      // One still starting had nothing to drain: the signal that ended it is no failure.
      if (code !== 0 && wasListening) failed = true;
      if (started.size === 0) void finish();
      return;
    }
    if (url === undefined && code !== 0) {
      // No worker ever listened: a startup failure (the port is taken…), which the worker printed.
      log.note("error", `worker ${pid} failed to start (${exitOf(code, signal)}); stopping`);
      return drain(1);
    }
    quickExits = !wasListening || lifetime < QUICK_EXIT_MS ? quickExits + 1 : 0;
    if (quickExits > count * QUICK_EXITS_PER_WORKER) {
      const why = `${quickExits} in a row, each before it listened or within ${QUICK_EXIT_MS / 1000} s of starting`;
      log.note("error", `workers keep exiting: ${why}; giving up`, { worker: pid, code, signal });
      process.stderr.write(`completion-chain: workers keep exiting (${why}); giving up\n`);
      return drain(1);
    }
    log.note("warn", `worker ${pid} exited (${exitOf(code, signal)}); starting another`, {
      worker: pid,
      code,
      signal,
    });
    fork();
  };
  cluster.on("message", onMessage);
  cluster.on("exit", onExit);
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  for (let index = 0; index < count; index += 1) fork();
}
