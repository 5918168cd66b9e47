/**
 * The messages between the benchmark and its concurrency client child (`clients-child.ts`)
 * over Node's IPC channel. The clients live in their own process so that the RSS, CPU and
 * event-loop delay the benchmark measures are the endpoint's alone. Only summaries come back, never
 * the raw gaps.
 *
 * @packageDocumentation
 */

import type { Spread, TailSummary } from "../shared/stats.js";

/** Percentiles of a gap distribution, ms. */
export type GapSummary = TailSummary;

/** What the clients need to know to run the streams. */
export interface ClientsConfig {
  streams: number;
  tokens: number;
  delayMs: number;
  rampMs: number;
  /** The endpoint's base URL. */
  endpointURL: string;
  /** A registry name of the endpoint's. */
  model: string;
}

/** A question to the client child; answered by one {@link ClientsReply}. */
export type ClientsRequest =
  /** A small unmeasured round, to warm the code in both processes. */
  | { op: "warmup"; config: ClientsConfig }
  /** The measured run: every stream, started over the ramp. */
  | { op: "run"; config: ClientsConfig };

/** What the measured run found, as the clients saw it; times in ms. */
export interface ClientsResult {
  complete: number;
  failed: number;
  /** The first few failures, verbatim. */
  failures: string[];
  addedGapMs: GapSummary;
  steadyAddedGapMs: GapSummary;
  /** When the steady window began and ended, ms after the run's start in the child. */
  steadyWindowMs: { from: number; to: number };
  ttftMs: Spread;
  /** The child's own wall time for the run. */
  wallMs: number;
}

export type ClientsReply =
  | { op: "warmed" }
  | { op: "result"; result: ClientsResult }
  | { op: "error"; error: string };

/** The child's first message: it is ready for requests. */
export interface ClientsReady {
  ready: true;
}
