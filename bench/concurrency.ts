/**
 * Many simultaneous streams through the HTTP endpoint at a steady pace: does every stream arrive
 * whole, how much memory does the process take, and how much later than the upstream's pacing
 * does each token reach its client.
 *
 * @packageDocumentation
 */

import { monitorEventLoopDelay } from "node:perf_hooks";
import { describeError } from "./describe-error.js";
import { listenOverflows } from "./listen-overflows.js";
import { streamEndpoint } from "./sse-client.js";
import { percentileOfSorted, type Spread, sortedCopy, spread } from "./stats.js";
import type { PacingSummary } from "./upstream-protocol.js";
import type { UpstreamProcess } from "./upstream-process.js";
import { MODEL_ID } from "./variants.js";
import { expectedText, type Workload, workloadPrompt } from "./workload.js";

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

/** Percentiles of a gap distribution, ms. */
export interface GapSummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
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
  rssBaselineMb: number;
  rssPeakMb: number;
  /** Observed gap between consecutive tokens minus the upstream's delay, as each client saw it. */
  addedGapMs: GapSummary;
  /** The same, as the upstream's own send times show: its timer lag, not ours. */
  upstreamLatenessMs: PacingSummary;
  /** Time to first token per stream, ms. */
  ttftMs: Spread;
  /** This process's CPU over the run, in cores (1 = one core fully busy). */
  cpuCores: number;
  /** Tokens delivered per second of this process's CPU: its capacity, whatever the pacing. */
  tokensPerCpuSecond: number;
  /** Connections the kernel dropped for a full accept queue during the run (Linux; else `null`). */
  listenOverflows: number | null;
  /** Event-loop delay of this process during the run, ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  wallMs: number;
}

/** Sampling interval of the event-loop delay histogram; every sample includes it, so it is taken off. */
const LOOP_RESOLUTION_MS = 10;
const beyondResolution = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);

function summariseGaps(gaps: ArrayLike<number>): GapSummary {
  const sorted = sortedCopy(gaps);
  return {
    count: sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p99: percentileOfSorted(sorted, 99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}

/**
 * Runs `streams` clients against the endpoint at once.
 *
 * @param endpointURL - the in-process `serveCompletion` server
 */
export async function measureConcurrency(
  config: ConcurrencyConfig,
  endpointURL: string,
  upstream: UpstreamProcess,
): Promise<ConcurrencyResult> {
  const workload: Workload = { tokens: config.tokens, delayMs: config.delayMs, track: true };
  const query = workloadPrompt(workload);
  const expected = expectedText(workload);
  // Preallocated: a million boxed numbers would themselves show in the RSS being measured.
  const gaps = new Float64Array(config.streams * Math.max(0, config.tokens - 1));
  const gapTimes = new Float64Array(gaps.length);
  let gapCount = 0;
  let lastFirstToken = 0;
  let firstEnd = Number.POSITIVE_INFINITY;
  const ttfts: number[] = [];
  const failures: string[] = [];
  let complete = 0;
  let failed = 0;

  // A small unmeasured round first: with cold code in both processes, the first requests would
  // otherwise measure the JIT rather than the endpoint.
  const warmup = { tokens: 20, delayMs: 0 };
  await Promise.all(
    Array.from({ length: Math.min(50, config.streams) }, () =>
      streamEndpoint({
        baseURL: endpointURL,
        query: workloadPrompt(warmup),
        model: MODEL_ID.completion,
        onToken: () => {},
      }),
    ),
  );
  await upstream.pacing(); // forget anything recorded before
  global.gc?.();
  const rssBaseline = process.memoryUsage().rss;
  let rssPeak = rssBaseline;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 50);
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loopDelay.enable();
  // An overloaded server is slow, not broken: only a stream still open after ten times the
  // scripted time counts as stuck.
  const deadline = AbortSignal.timeout(
    10 * (config.rampMs + config.tokens * config.delayMs) + 60_000,
  );
  const overflowsBefore = await listenOverflows();
  const cpu = process.cpuUsage();
  const started = performance.now();

  const client = async (index: number) => {
    await new Promise((resolve) => setTimeout(resolve, (index * config.rampMs) / config.streams));
    const start = performance.now();
    let last = Number.NaN;
    let offset = 0;
    let mismatch = false;
    try {
      await streamEndpoint({
        baseURL: endpointURL,
        query,
        model: MODEL_ID.completion,
        signal: deadline,
        onToken: (token) => {
          const now = performance.now();
          if (offset === 0) {
            ttfts.push(now - start);
            lastFirstToken = Math.max(lastFirstToken, now);
          } else {
            gapTimes[gapCount] = now;
            gaps[gapCount++] = now - last - config.delayMs;
          }
          last = now;
          // Compared in place, no per-stream copy of the text: tokens must continue the answer.
          if (!mismatch && !expected.startsWith(token, offset)) mismatch = true;
          offset += token.length;
        },
      });
      if (mismatch || offset !== expected.length) {
        throw new Error(
          `got ${offset} of ${expected.length} characters${mismatch ? ", wrong text" : ""}`,
        );
      }
      complete++;
      firstEnd = Math.min(firstEnd, performance.now());
    } catch (error) {
      failed++;
      if (failures.length < 5) failures.push(`stream ${index}: ${describeError(error)}`);
    }
  };

  process.stderr.write(`  concurrency: ${config.streams} streams × ${config.tokens} tokens\n`);
  await Promise.all(Array.from({ length: config.streams }, (_, index) => client(index)));
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  loopDelay.disable();
  const overflowsAfter = await listenOverflows();

  const steady: number[] = [];
  for (let index = 0; index < gapCount; index++) {
    const at = gapTimes[index] as number;
    if (at > lastFirstToken && at < firstEnd) steady.push(gaps[index] as number);
  }
  const mb = (bytes: number) => bytes / (1024 * 1024);
  return {
    ...config,
    complete,
    failed,
    failures,
    rssBaselineMb: mb(rssBaseline),
    rssPeakMb: mb(rssPeak),
    addedGapMs: summariseGaps(gaps.subarray(0, gapCount)),
    steadyAddedGapMs: summariseGaps(steady),
    steadyWindowMs: { from: lastFirstToken - started, to: firstEnd - started },
    upstreamLatenessMs: await upstream.pacing(),
    ttftMs: spread(ttfts),
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
}
