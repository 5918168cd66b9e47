/**
 * The messages between the benchmark and its upstream child over Node's IPC channel. The upstream
 * lives in its own process so that `process.cpuUsage()` in the benchmark counts the client alone.
 *
 * @packageDocumentation
 */

import type { TailSummary } from "../shared/stats.js";

/** Token send-time gaps beyond the scripted delay, as the upstream itself saw them. */
export type PacingSummary = TailSummary;

/**
 * A question to the upstream child; every one is answered by a `Reply` with the same id (see
 * `shared/server-child.ts`).
 */
export type Request =
  /** The child's clock, to estimate the offset between the two processes' clocks. */
  | { id: number; op: "now" }
  /** Open connections, tokens sent and response body bytes handed to sockets so far. */
  | { id: number; op: "stats" }
  /** Start watching for all connections to close; answers with a watch number at once. */
  | { id: number; op: "arm" }
  /** When the armed watch saw the last connection close (child clock), or `null` after the timeout. */
  | { id: number; op: "closedAt"; watch: number; timeoutMs: number }
  /** Waits until no connection is open; answers `false` after the timeout. */
  | { id: number; op: "idle"; timeoutMs: number }
  /** The gaps recorded for `track` workloads since the last call, summarised, then forgotten. */
  | { id: number; op: "pacing" }
  /** Closes the server; the child exits once the channel closes. */
  | { id: number; op: "close" };

/**
 * Wall-clock milliseconds with sub-millisecond resolution, comparable across processes once their
 * offset is known (`performance.now()` alone starts at zero in each process).
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
