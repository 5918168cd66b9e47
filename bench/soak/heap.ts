/**
 * Soak part (a): does an endpoint's heap grow with the requests it has served? Thousands of mixed
 * requests (`requests.ts`) go through an endpoint child in batches; after each batch the
 * child runs two full GCs and reports its heap, and a least-squares line through those samples
 * gives the growth per request. Measured, never asserted.
 *
 * @packageDocumentation
 */

import { setTimeout as sleep } from "node:timers/promises";
import { startSoakEndpoint } from "./endpoint-process.js";
import type { SoakEndpointId } from "./protocol.js";
import { sendSoakRequest, soakKindAt } from "./requests.js";

export interface HeapSoakConfig {
  /** Requests measured. */
  requests: number;
  /** Requests between two heap samples. */
  sampleEvery: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Requests before the first sample, so that the JIT, the pools and lazy modules are warm. */
  warmup: number;
}

/** The endpoint child's memory after two full GCs, once `requests` requests had ended. */
export interface HeapSample {
  requests: number;
  heapUsed: number;
  rss: number;
}

export interface HeapSoakResult {
  endpoint: SoakEndpointId;
  config: HeapSoakConfig;
  samples: HeapSample[];
  /** Least-squares slope of `heapUsed` over `requests`, bytes per request. */
  slopeBytesPerRequest: number;
  /** Last sample's `heapUsed` minus the first's. */
  growthBytes: number;
  /** Requests by kind and status (`422`, `200 event: error`, `200 cut off`…). */
  outcomes: Record<string, Record<string, number>>;
  /** The first few requests that did not answer as their kind expects. */
  failures: string[];
  failed: number;
  wallMs: number;
}

/**
 * After a batch, the endpoint may still be tearing down the upstream requests of clients that
 * left (their abort travels to the upstream and back): give it a moment before the GC, so those
 * are not counted as held.
 */
export const SETTLE_MS = 200;

/**
 * Least-squares slope of `ys` over `xs`.
 *
 * @example
 * ```ts
 * leastSquaresSlope([0, 1, 2], [10, 12, 14]); // 2
 * ```
 */
export function leastSquaresSlope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - meanX;
    covariance += dx * ((ys[i] as number) - meanY);
    variance += dx * dx;
  }
  return variance === 0 ? Number.NaN : covariance / variance;
}

/**
 * Runs `config.requests` mixed requests against a fresh endpoint child serving `endpoint`,
 * sampling its post-GC heap every `config.sampleEvery` requests.
 *
 * @param endpoint - `ours` or `floor`
 * @param upstreamURL - the upstream child, ending in `/v1`
 * @example
 * ```ts
 * const result = await measureHeapSoak("ours", upstream.url, { requests: 3000, sampleEvery: 250, concurrency: 8, warmup: 240 });
 * ```
 */
export async function measureHeapSoak(
  endpoint: SoakEndpointId,
  upstreamURL: string,
  config: HeapSoakConfig,
): Promise<HeapSoakResult> {
  const child = await startSoakEndpoint(endpoint, upstreamURL);
  const outcomes: Record<string, Record<string, number>> = {};
  const failures: string[] = [];
  let failed = 0;
  let next = 0;

  /** The requests from `next` up to `to` (exclusive), `concurrency` at a time, in order. */
  const runBatch = async (to: number, record: boolean) => {
    const worker = async () => {
      for (let index = next++; index < to; index = next++) {
        const kind = soakKindAt(index);
        const outcome = await sendSoakRequest(child.url, kind);
        if (!record) continue;
        const label = `${outcome.status}${outcome.error ? " event: error" : ""}${outcome.cut ? " cut off" : ""}`;
        outcomes[kind.id] ??= {};
        const byStatus = outcomes[kind.id] as Record<string, number>;
        byStatus[label] = (byStatus[label] ?? 0) + 1;
        const problem = kind.expect[endpoint](outcome);
        if (problem !== undefined) {
          failed += 1;
          if (failures.length < 5) failures.push(`request ${index} (${kind.id}): ${problem}`);
        }
      }
    };
    await Promise.all(Array.from({ length: config.concurrency }, worker));
    next = to;
    await sleep(SETTLE_MS);
  };

  const samples: HeapSample[] = [];
  const sample = async (requests: number) => {
    const { heapUsed, rss } = await child.memory();
    samples.push({ requests, heapUsed, rss });
  };

  const started = performance.now();
  try {
    // The warm-up runs whole cycles of the mix, so every path is compiled before the first sample.
    await runBatch(config.warmup, false);
    const offset = config.warmup;
    await sample(0);
    for (let done = 0; done < config.requests; ) {
      done = Math.min(config.requests, done + config.sampleEvery);
      await runBatch(offset + done, true);
      await sample(done);
      process.stderr.write(`\r  soak heap, ${endpoint}: ${done}/${config.requests} requests`);
    }
    process.stderr.write("\n");
  } finally {
    await child.close();
  }
  const first = samples[0] as HeapSample;
  const last = samples.at(-1) as HeapSample;
  return {
    endpoint,
    config,
    samples,
    slopeBytesPerRequest: leastSquaresSlope(
      samples.map((s) => s.requests),
      samples.map((s) => s.heapUsed),
    ),
    growthBytes: last.heapUsed - first.heapUsed,
    outcomes,
    failures,
    failed,
    wallMs: performance.now() - started,
  };
}
