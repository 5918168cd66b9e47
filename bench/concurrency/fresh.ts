/**
 * `--fresh`: each concurrency run in a new process (`fresh-child.ts`) rather than in the
 * benchmark's own, which the endpoint measured first in it has warmed for the others.
 *
 * @packageDocumentation
 */

import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FreshReply, FreshRequest } from "./fresh-child.js";
import type { ConcurrencyConfig, ConcurrencyResult, EndpointId, OursBuild } from "./measure.js";

const FRESH_ENTRY = fileURLToPath(new URL("./fresh-child.ts", import.meta.url));

/**
 * Runs `measureConcurrency` for `endpoint` in a new process with its own upstream and returns what
 * it measured there (RSS, CPU and event-loop delay are that process's).
 *
 * @throws Error when the run failed or the process exited without a result
 */
export function measureConcurrencyFresh(
  endpoint: EndpointId,
  config: ConcurrencyConfig,
  label: string,
  build: OursBuild,
): Promise<ConcurrencyResult> {
  // Advanced serialization, so `NaN` and `Infinity` in the summaries survive the trip.
  const child = fork(FRESH_ENTRY, [], {
    execArgv: ["--import", "tsx"],
    stdio: "inherit",
    serialization: "advanced",
  });
  return new Promise((resolve, reject) => {
    let reply: FreshReply | undefined;
    child.once("message", (message: FreshReply) => {
      reply = message;
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (reply === undefined) {
        reject(new Error(`the fresh concurrency run exited with ${code ?? signal} and no result`));
      } else if ("error" in reply) {
        reject(new Error(`the fresh concurrency run failed: ${reply.error}`));
      } else {
        resolve(reply.result);
      }
    });
    child.send({ endpoint, config, label, build } satisfies FreshRequest);
  });
}
