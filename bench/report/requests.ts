/**
 * The report's per-request section: what one request costs each endpoint once (`measure/requests.ts`).
 *
 * @packageDocumentation
 */

import { ENDPOINT_LABELS } from "../concurrency/measure.js";
import type { RequestCostConfig, RequestCostFigures } from "../measure/requests.js";
import { num, ranged, table } from "./markdown.js";

/** The Markdown section, or "" when nothing was measured. */
export function requestCostSection(
  figures: readonly RequestCostFigures[],
  config: RequestCostConfig,
): string {
  if (figures.length === 0) return "";
  const median = (id: string) => figures.find((f) => f.endpoint === id)?.cpuUsPerRequest.median;
  const ratio = (value: number, id: string) => {
    const base = median(id);
    return base === undefined ? "–" : `${num(value / base, 2)}×`;
  };
  return [
    "## Per request — what one request costs an endpoint once",
    "",
    `Sequential two-token streams, ${config.requests} per endpoint per round after ${config.warmup} unmeasured, ${config.rounds} interleaved rounds; CPU of the benchmark process (the endpoint and one \`node:http\` client, the same for all) per request. When hundreds of requests arrive at once, first tokens queue behind this cost.`,
    "",
    table(
      ["endpoint", "CPU µs per request, median (min–max)", "× floor", "× raw-openai"],
      figures.map((f) => [
        ENDPOINT_LABELS[f.endpoint],
        ranged(f.cpuUsPerRequest, 0),
        ratio(f.cpuUsPerRequest.median, "floor"),
        ratio(f.cpuUsPerRequest.median, "raw-openai"),
      ]),
    ),
  ].join("\n");
}
