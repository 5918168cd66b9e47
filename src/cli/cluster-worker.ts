/**
 * A worker of `serve --workers`: it serves the port the primary shares, tells the primary when it
 * listens, answers `/metrics` with the whole server's figures, and drains on the primary's SIGTERM.
 *
 * @packageDocumentation
 */

import cluster from "node:cluster";
import type { CompletionServer, ServeHooks } from "../http/node/serve.js";
import type { ModelKind, ModelRegistry } from "../models.js";
import { type WorkerMetrics, workerMetrics } from "./cluster-metrics.js";
import { OFFLINE_DEMO_MODEL } from "./offline-demo.js";

/** Where the primary tells its workers the URL of the one offline demo model it started. */
export const DEMO_URL_ENV = "COMPLETION_CHAIN_DEMO_URL";

/** A worker's message to the primary once its server listens. */
export interface ListeningMessage {
  type: "completion-chain:listening";
  url: string;
}

/** This process as a worker of the cluster. */
export interface ClusterWorker {
  /** The offline demo model the primary serves, when there is no endpoint (`kind` set). */
  demoModels(kind: ModelKind | undefined): ModelRegistry | undefined;
  /** Passed to `serveWithLog`: `/metrics` answers for the whole server. */
  hooks: ServeHooks;
  /** Says the server listens, and drains it on SIGTERM; the primary handles SIGINT. */
  run(server: CompletionServer): void;
}

/**
 * This process's part in the cluster.
 *
 * @returns `undefined` in the primary (or a process not started by `cluster.fork`)
 */
export function joinCluster(): ClusterWorker | undefined {
  if (!cluster.isWorker) return undefined;
  let metrics: WorkerMetrics | undefined;
  return {
    demoModels(kind) {
      const baseURL = process.env[DEMO_URL_ENV];
      if (kind === undefined || !baseURL) return undefined;
      return { [OFFLINE_DEMO_MODEL]: { kind, baseURL, apiKey: OFFLINE_DEMO_MODEL } };
    },
    hooks: {
      metricsRoute(own) {
        metrics = workerMetrics(own);
        return metrics.respond;
      },
    },
    run(server) {
      // Ctrl-C sends SIGINT to the whole process group: the primary gets it too and decides (it
      // sends SIGTERM, and kills the workers on a second signal), so a worker ignores it.
      const ignore = () => {};
      let stopping = false;
      // The primary's SIGTERM and one sent to the whole group (systemd) are one request: drain once.
      const stop = () => {
        if (stopping) return;
        stopping = true;
        const exit = (code: number) => {
          metrics?.close();
          process.off("SIGINT", ignore);
          process.off("SIGTERM", stop);
          process.exit(code);
        };
        server.close().then(
          () => exit(0),
          () => exit(1),
        );
      };
      process.on("SIGINT", ignore);
      process.on("SIGTERM", stop);
      const message: ListeningMessage = { type: "completion-chain:listening", url: server.url };
      process.send?.(message);
    },
  };
}
