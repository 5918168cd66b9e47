/**
 * `npm run bench -- --soak`: the soak part of the benchmark, run on its own. (a) the post-GC heap
 * slope of an endpoint over thousands of mixed requests (`heap.ts`); (b) what an endpoint holds
 * for one paused ~100 MB stream (`paused.ts`). Each endpoint — ours (`serveCompletion`) and
 * the hand-written floor — runs in a child process of its own started with `--expose-gc`, against
 * the upstream testing server in another child. Prints Markdown; figures are measured, never
 * asserted. Fails only when something is functionally wrong: an unexpected status or outcome, a
 * stream incomplete or corrupted after the pause.
 *
 * @packageDocumentation
 */

import { startUpstreamProcess } from "../upstream/process.js";
import { type HeapSoakConfig, type HeapSoakResult, measureHeapSoak } from "./heap.js";
import { measurePaused, type PausedConfig, type PausedResult } from "./paused.js";
import type { SoakEndpointId } from "./protocol.js";
import { renderSoakReport } from "./report.js";

export const HEAP_CONFIG: HeapSoakConfig = {
  requests: 3_000,
  sampleEvery: 250,
  concurrency: 8,
  warmup: 240,
};

export const PAUSED_CONFIG: PausedConfig = {
  tokens: 100_000,
  tokenBytes: 1_024,
  readBeforePause: 4_096,
  minPauseMs: 3_000,
  quietMs: 1_000,
  maxPauseMs: 60_000,
};

export interface SoakOptions {
  endpoints: readonly SoakEndpointId[];
  /** Says which code was measured, e.g. the commit; printed in the report. */
  machine: string;
  heap?: HeapSoakConfig;
  paused?: PausedConfig;
}

export interface SoakResult {
  heap: HeapSoakResult[];
  paused: PausedResult[];
  failures: string[];
  report: string;
}

/**
 * Runs both soak parts for every endpoint in `options.endpoints`, one endpoint child at a time.
 *
 * @example
 * ```ts
 * const { report, failures } = await runSoak({ endpoints: ["ours", "floor"], machine: "abc1234" });
 * ```
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const heapConfig = options.heap ?? HEAP_CONFIG;
  const pausedConfig = options.paused ?? PAUSED_CONFIG;
  const upstream = await startUpstreamProcess();
  const heap: HeapSoakResult[] = [];
  const paused: PausedResult[] = [];
  const failures: string[] = [];
  try {
    for (const endpoint of options.endpoints) {
      const result = await measureHeapSoak(endpoint, upstream.url, heapConfig);
      heap.push(result);
      if (result.failed > 0) {
        failures.push(
          `soak (a), ${endpoint}: ${result.failed} of ${heapConfig.requests} requests did not answer as expected`,
          ...result.failures,
        );
      }
    }
    for (const endpoint of options.endpoints) {
      // Each measurement starts with no upstream connection left over from the last.
      await upstream.idle(10_000);
      process.stderr.write(`  soak paused stream, ${endpoint}\n`);
      const result = await measurePaused(endpoint, upstream, pausedConfig);
      paused.push(result);
      if (!result.intact) failures.push(`soak (b), ${endpoint}: ${result.failure}`);
    }
  } finally {
    await upstream.close();
  }
  const report = renderSoakReport({ machine: options.machine, heap, paused, failures });
  return { heap, paused, failures, report };
}
