/**
 * Markdown helpers shared by the reports (the benchmark's, the soak run's, the profile summary):
 * numbers as they are printed, and tables.
 *
 * @packageDocumentation
 */

import type { Spread } from "../shared/stats.js";

/** `1,234.5`: grouped, `digits` after the point; `n/a` for NaN and ±Infinity. */
export const num = (value: number, digits: number) =>
  Number.isFinite(value)
    ? value.toLocaleString("en-US", {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : "n/a";

/** `12.3 (11.9–13.0)`: the median, then the range it came from. */
export const ranged = (s: Spread, digits: number) =>
  s.n === 0 ? "n/a" : `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`;

/** A Markdown table: the header row, the separator, then `rows`. */
export function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}
