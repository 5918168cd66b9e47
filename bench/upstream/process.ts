/**
 * The benchmark's handle on an upstream child (`child.ts`): starts it, asks it questions over
 * IPC, and translates its clock into ours.
 *
 * @packageDocumentation
 */

import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { epochMs, type PacingSummary, type Ready, type Reply, type Request } from "./protocol.js";

/** Each kind of request without its id, which the handle assigns. */
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
type Question = WithoutId<Request>;

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
  const child = fork(ENTRY, [], { execArgv: ["--import", "tsx"], stdio: "inherit" });
  const pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  const url = await new Promise<string>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the upstream child exited with ${code}`)));
    child.on("message", (message: Ready | Reply) => {
      if ("ready" in message) return resolve(message.url);
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(`upstream: ${message.error}`));
    });
  });
  child.removeAllListeners("exit");
  child.on("exit", (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`upstream exited with ${code}`));
    pending.clear();
  });

  const ask = <T>(question: Question): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...question, id });
    });

  const { offset, uncertainty } = await clockOffset(() => ask<number>({ op: "now" }));
  return {
    url,
    pid: child.pid ?? 0,
    stats: () => ask({ op: "stats" }),
    arm: () => ask({ op: "arm" }),
    closedAt: async (watch, timeoutMs) => {
      const at = await ask<number | null>({ op: "closedAt", watch, timeoutMs });
      return at === null ? null : at - offset;
    },
    idle: (timeoutMs) => ask({ op: "idle", timeoutMs }),
    pacing: () => ask({ op: "pacing" }),
    clockUncertaintyMs: uncertainty,
    close: () => closeChild(child, () => ask({ op: "close" })),
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

async function closeChild(child: ChildProcess, askClose: () => Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || !child.connected) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await askClose().catch(() => {});
  child.disconnect();
  await exited;
}
