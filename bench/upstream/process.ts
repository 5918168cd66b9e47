/**
 * The benchmark's handle on an upstream child (`child.ts`): starts it, asks it questions over
 * IPC, and translates its clock into ours.
 *
 * @packageDocumentation
 */

import { fileURLToPath } from "node:url";
import { forkServerChild } from "../shared/server-child.js";
import { epochMs, type PacingSummary, type Request } from "./protocol.js";

/** A running upstream child. */
export interface UpstreamProcess {
  /** Base URL ending in `/v1`. */
  url: string;
  /** Child process id, e.g. for reporting its CPU separately. */
  pid: number;
  /** `bytesSent`: response body bytes the upstream handed to its sockets (`TestingServer.bytesSent()`). */
  stats(): Promise<{ openConnections: number; tokensSent: number; bytesSent: number }>;
  /** Starts watching for every connection to close; see {@link closedAt}. */
  arm(): Promise<number>;
  /**
   * When the watch saw the last connection close, on this process's `epochMs()` clock, or `null`
   * when that did not happen within `timeoutMs`.
   */
  closedAt(watch: number, timeoutMs: number): Promise<number | null>;
  /** Resolves `true` once no connection is open, `false` after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean>;
  pacing(): Promise<PacingSummary>;
  /**
   * How far the two clocks may disagree, ms: half the fastest IPC round trip seen while
   * estimating their offset.
   */
  clockUncertaintyMs: number;
  close(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL("./child.ts", import.meta.url));

/**
 * Forks `child.ts` under tsx and waits until it listens. The child gets only `--import tsx`,
 * not this process's flags, so `--cpu-prof` on the benchmark profiles the client alone.
 */
export async function startUpstreamProcess(): Promise<UpstreamProcess> {
  const child = await forkServerChild<Request>(ENTRY, { name: "upstream" });
  const { ask } = child;
  const { offset, uncertainty } = await clockOffset(() => ask<number>({ op: "now" }));
  return {
    url: child.url,
    pid: child.pid,
    stats: () => ask({ op: "stats" }),
    arm: () => ask({ op: "arm" }),
    closedAt: async (watch, timeoutMs) => {
      const at = await ask<number | null>({ op: "closedAt", watch, timeoutMs });
      return at === null ? null : at - offset;
    },
    idle: (timeoutMs) => ask({ op: "idle", timeoutMs }),
    pacing: () => ask({ op: "pacing" }),
    clockUncertaintyMs: uncertainty,
    close: child.close,
  };
}

/**
 * Child clock minus ours, NTP-style: of many round trips, the fastest bounds the error best, and
 * the child's reading is taken to fall at its midpoint.
 */
async function clockOffset(
  childNow: () => Promise<number>,
): Promise<{ offset: number; uncertainty: number }> {
  let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
  for (let round = 0; round < 50; round++) {
    const sent = epochMs();
    const theirs = await childNow();
    const received = epochMs();
    const rtt = received - sent;
    if (rtt < best.rtt) best = { rtt, offset: theirs - (sent + received) / 2 };
  }
  return { offset: best.offset, uncertainty: best.rtt / 2 };
}
