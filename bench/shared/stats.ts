/**
 * Order statistics for benchmark samples. Medians rather than means: one GC pause or scheduler
 * hiccup in a sample should not move the headline number.
 *
 * @packageDocumentation
 */

/** Median with the range it came from. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/**
 * The `p`-th percentile (0–100) by linear interpolation between closest ranks, as numpy's default.
 *
 * @param sorted - ascending, non-empty
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (rank - low);
}

/** Sorts a copy ascending (typed arrays sort numerically; plain arrays would sort as strings). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Median, min and max of `values`; all `NaN` when there are none. */
export function spread(values: readonly number[]): Spread {
  const sorted = sortedCopy(values);
  return {
    median: percentileOfSorted(sorted, 50),
    min: sorted.length > 0 ? (sorted[0] as number) : Number.NaN,
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
    n: sorted.length,
  };
}

/** Count, median, 99th percentile and maximum of a latency distribution, ms. */
export interface TailSummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** The {@link TailSummary} of `values`; `NaN` figures when there are none. */
export function tailSummary(values: ArrayLike<number>): TailSummary {
  const sorted = sortedCopy(values);
  return {
    count: sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p99: percentileOfSorted(sorted, 99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}
