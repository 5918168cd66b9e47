/**
 * Many simultaneous streams through the HTTP endpoint at a steady pace: does every stream arrive
 * whole, how much memory does the endpoint's process take, and how much later than the upstream's
 * pacing does each token reach its client. The endpoint stays in this process; the clients run in
 * a child (`clients-child.ts`), so this process's RSS, CPU and event-loop delay are the
 * endpoint's alone.
 *
 * @packageDocumentation
 */

import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Spread } from "../shared/stats.js";
import { MODEL_ID } from "../subjects/request-settings.js";
import type { UpstreamProcess } from "../upstream/process.js";
import type { PacingSummary } from "../upstream/protocol.js";
import { expectReply, startClientsProcess } from "./clients-process.js";
import { listenOverflows } from "./listen-overflows.js";
import type { ClientsConfig, ClientsResult, GapSummary } from "./protocol.js";

export type { GapSummary } from "./protocol.js";

/**
 * The endpoints the concurrency run can measure: this library's, the floor (a bare `node:http`
 * forwarder that parses the upstream's SSE by hand) and the route a user would write by hand with
 * `node:http` and the raw `openai` SDK.
 */
export type EndpointId = "ours" | "floor" | "raw-openai";
export const ENDPOINT_IDS: readonly EndpointId[] = ["ours", "floor", "raw-openai"];
export const ENDPOINT_LABELS: Record<EndpointId, string> = {
  ours: "ours (serveCompletion)",
  floor: "floor (node:http, SSE parsed by hand)",
  "raw-openai": "raw-openai (node:http + openai SDK)",
};

/**
 * Which code of ours is served: `src` is `src/` as tsx compiles it on load (the working tree, no
 * build needed); `dist` is the built package (`npm run build`, `--dist`), what users install. tsx
 * keeps function names by wrapping every function as it is created, a cost per closure that the
 * built package does not pay, and ours creates far more closures per request than the floor.
 */
export type OursBuild = "src" | "dist";

/** One endpoint at one N. */
export interface ConcurrencyRun {
  endpoint: EndpointId;
  /** Which round (1-based) of `--rounds` this run belongs to. */
  round: number;
  /** Run in a new process of its own (`--fresh`), not in the benchmark's. */
  fresh: boolean;
  /** Which code of ours was served (the same for every run of one benchmark). */
  build: OursBuild;
  result: ConcurrencyResult;
}

export interface ConcurrencyConfig {
  streams: number;
  tokens: number;
  /** The upstream's delay before every token, ms (50 → 20 tokens/s per stream). */
  delayMs: number;
  /**
   * Starts are spread evenly over this long. Real clients do not arrive in the same millisecond,
   * and a lockstep start would have every upstream timer fire together, making bursts of N tokens.
   */
  rampMs: number;
}

export interface ConcurrencyResult extends ConcurrencyConfig {
  /**
   * Added gaps while every stream was running: after the last stream's first token and before the
   * first stream's end. This is "holding N streams"; the whole-run figure also has the ramp-up,
   * when new requests' setup competes with the running streams.
   */
  steadyAddedGapMs: GapSummary;
  /** When the steady window began and ended, ms after the first start. */
  steadyWindowMs: { from: number; to: number };
  complete: number;
  /** The first few failures, verbatim. */
  failures: string[];
  failed: number;
  /** RSS of this process, the endpoint's: the clients' child is not included. */
  rssBaselineMb: number;
  rssPeakMb: number;
  /** Observed gap between consecutive tokens minus the upstream's delay, as each client saw it. */
  addedGapMs: GapSummary;
  /** The same, as the upstream's own send times show: its timer lag, not ours. */
  upstreamLatenessMs: PacingSummary;
  /** Time to first token per stream, ms. */
  ttftMs: Spread;
  /**
   * This process's CPU over the run (the endpoint's; the clients' child is not counted), in cores
   * (1 = one core fully busy).
   */
  cpuCores: number;
  /** Tokens delivered per second of this process's CPU: its capacity, whatever the pacing. */
  tokensPerCpuSecond: number;
  /** Connections the kernel dropped for a full accept queue during the run (Linux; else `null`). */
  listenOverflows: number | null;
  /** Event-loop delay of this process (the endpoint's) during the run, ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  wallMs: number;
}

/** Sampling interval of the event-loop delay histogram; every sample includes it, so it is taken off. */
const LOOP_RESOLUTION_MS = 10;
const beyondResolution = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);

/**
 * Runs `streams` clients, in a child process, against the endpoint at once, while this process
 * (which serves the endpoint) measures its own RSS, CPU and event-loop delay.
 *
 * @param endpointURL - an endpoint served in this process: `serveCompletion`, the floor or the raw-openai route
 * @param label - names the endpoint in the progress line
 */
export async function measureConcurrency(
  config: ConcurrencyConfig,
  endpointURL: string,
  upstream: UpstreamProcess,
  label = "endpoint",
): Promise<ConcurrencyResult> {
  const clientsConfig: ClientsConfig = { ...config, endpointURL, model: MODEL_ID.completion };
  const clients = await startClientsProcess();
  try {
    // A small unmeasured round first: with cold code in all three processes, the first requests
    // would otherwise measure the JIT rather than the endpoint.
    await expectReply(clients, { op: "warmup", config: clientsConfig }, "warmed");
    await upstream.pacing(); // forget anything recorded before
    global.gc?.();
    const rssBaseline = process.memoryUsage().rss;
    let rssPeak = rssBaseline;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 50);
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loopDelay.enable();
    const overflowsBefore = await listenOverflows();
    // Only this process's CPU: a child's is not in `process.cpuUsage()`.
    const cpu = process.cpuUsage();
    const started = performance.now();

    process.stderr.write(
      `  concurrency, ${label}: ${config.streams} streams × ${config.tokens} tokens (clients in a child process)\n`,
    );
    let clientsResult: ClientsResult;
    try {
      ({ result: clientsResult } = await expectReply(
        clients,
        { op: "run", config: clientsConfig },
        "result",
      ));
    } finally {
      clearInterval(sampler);
      loopDelay.disable();
    }
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const overflowsAfter = await listenOverflows();

    const mb = (bytes: number) => bytes / (1024 * 1024);
    const { complete } = clientsResult;
    return {
      ...config,
      complete,
      failed: clientsResult.failed,
      failures: clientsResult.failures,
      rssBaselineMb: mb(rssBaseline),
      rssPeakMb: mb(rssPeak),
      addedGapMs: clientsResult.addedGapMs,
      steadyAddedGapMs: clientsResult.steadyAddedGapMs,
      steadyWindowMs: clientsResult.steadyWindowMs,
      upstreamLatenessMs: await upstream.pacing(),
      ttftMs: clientsResult.ttftMs,
      cpuCores: (used.user + used.system) / 1000 / wallMs,
      listenOverflows:
        overflowsBefore === undefined || overflowsAfter === undefined
          ? null
          : overflowsAfter - overflowsBefore,
      tokensPerCpuSecond: (complete * config.tokens) / ((used.user + used.system) / 1e6),
      eventLoopDelayMs: {
        p50: beyondResolution(loopDelay.percentile(50)),
        p99: beyondResolution(loopDelay.percentile(99)),
        max: beyondResolution(loopDelay.max),
      },
      wallMs,
    };
  } finally {
    await clients.close();
  }
}
