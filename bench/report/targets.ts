/**
 * The project's performance targets (issue #4), checked against the medians of a run. Reported,
 * never enforced: a benchmark on a shared CI machine is no place to fail a build on speed.
 *
 * @packageDocumentation
 */

import type { ConcurrencyResult } from "../concurrency/measure.js";
import { KINDS } from "../subjects/request-settings.js";
import type { AbortFigures, VariantFigures } from "./summary.js";

export interface TargetCheck {
  target: string;
  measured: string;
  /** `undefined` when the run did not measure it. */
  met: boolean | undefined;
}

const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");

/**
 * One line per target and model kind, in the order the issue lists them.
 *
 * @param floor - the hand-written floor endpoint at the same N, if it ran: its figure is shown next
 * to ours in the concurrency rows, so a miss can be read as ours or as the machine's
 * @param rawOpenAI - the hand-written raw-openai route at the same N, if it ran: shown after the floor
 */
export function checkTargets(
  figures: readonly VariantFigures[],
  aborts: readonly AbortFigures[],
  concurrency: ConcurrencyResult | undefined,
  floor?: ConcurrencyResult,
  rawOpenAI?: ConcurrencyResult,
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const find = (mode: string, kind: string, variant: string) =>
    figures.find((f) => f.mode === mode && f.kind === kind && f.variant === variant);
  const modes = [...new Set(figures.map((f) => f.mode))];

  for (const mode of modes) {
    for (const kind of KINDS) {
      const ours = find(mode, kind, "completion");
      if (ours === undefined) continue;
      checks.push({
        target: `completion() CPU/token ≤ 1.0× LangChain .stream() (${kind}, ${mode})`,
        measured: `${fmt(ours.vsLangchain)}×`,
        met: ours.vsLangchain <= 1.0,
      });
    }
    const ours = find(mode, "completion", "completion");
    if (ours !== undefined) {
      checks.push({
        target: `completion() CPU/token ≤ 1.5× raw SDK (completion, ${mode})`,
        measured: `${fmt(ours.vsRawSdk)}×`,
        met: ours.vsRawSdk <= 1.5,
      });
    }
  }
  const flatOurs = find("flat", "completion", "completion");
  const flatRaw = find("flat", "completion", "raw-sdk");
  if (flatOurs !== undefined && flatRaw !== undefined) {
    const extra = flatOurs.ttftMs.median - flatRaw.ttftMs.median;
    checks.push({
      target: "completion() TTFT within 1 ms of raw SDK (completion, flat)",
      measured: `${fmt(flatOurs.ttftMs.median)} ms vs ${fmt(flatRaw.ttftMs.median)} ms (+${fmt(extra)} ms)`,
      met: extra <= 1,
    });
  }
  for (const kind of KINDS) {
    for (const trigger of ["break", "abort"] as const) {
      const figure = aborts.find(
        (a) => a.subject === "completion" && a.kind === kind && a.trigger === trigger,
      );
      if (figure === undefined) continue;
      const how = trigger === "break" ? "break" : "signal.abort()";
      checks.push({
        target: `completion() abort latency < 10 ms after ${how} (${kind})`,
        measured: `median ${fmt(figure.latencyMs.median)} ms, max ${fmt(figure.latencyMs.max)} ms${figure.capped > 0 ? `, ${figure.capped} never closed` : ""}`,
        met: figure.capped === 0 && figure.latencyMs.median < 10,
      });
    }
  }
  if (concurrency !== undefined) {
    const n = concurrency.streams;
    const scale = n < 1000 ? ` (this run: ${n} streams, the target is 1,000)` : "";
    const same = floor !== undefined && floor.streams === n ? floor : undefined;
    const sameRaw = rawOpenAI !== undefined && rawOpenAI.streams === n ? rawOpenAI : undefined;
    /** Ours, then the floor's and the raw-openai route's figures when they ran at this N. */
    const withFloor = (measure: (c: ConcurrencyResult) => string) =>
      `${measure(concurrency)}${same === undefined ? "" : `; floor endpoint: ${measure(same)}`}${sameRaw === undefined ? "" : `; raw-openai route: ${measure(sameRaw)}`}`;
    const steady = (c: ConcurrencyResult) =>
      c.steadyAddedGapMs.count > 0
        ? `${fmt(c.steadyAddedGapMs.p99)} ms (p50 ${fmt(c.steadyAddedGapMs.p50)} ms)`
        : "never all running at once: the first streams ended before the last one's first token";
    checks.push({
      target: `HTTP endpoint: all ${n} concurrent streams complete${scale}`,
      measured: withFloor((c) => `${c.complete}/${n}`),
      met: concurrency.complete === n,
    });
    checks.push({
      target: `HTTP endpoint: peak RSS of its process < 512 MB with ${n} streams${scale}`,
      measured: withFloor((c) => `${fmt(c.rssPeakMb, 0)} MB`),
      met: concurrency.rssPeakMb < 512,
    });
    checks.push({
      target: `HTTP endpoint: p99 added inter-token gap < 5 ms while ${n} streams run${scale}`,
      measured: withFloor(steady),
      met: concurrency.steadyAddedGapMs.count > 0 && concurrency.steadyAddedGapMs.p99 < 5,
    });
    checks.push({
      target: `HTTP endpoint: p99 added inter-token gap < 5 ms over the whole run, ramp-up included${scale}`,
      measured: withFloor((c) => `${fmt(c.addedGapMs.p99)} ms (p50 ${fmt(c.addedGapMs.p50)} ms)`),
      met: concurrency.addedGapMs.p99 < 5,
    });
  }
  for (const mode of modes) {
    for (const kind of KINDS) {
      const ours = find(mode, kind, "completion");
      const vercel = find(mode, kind, "ai-sdk");
      if (ours === undefined || vercel === undefined) continue;
      checks.push({
        target: `completion() CPU/token ≤ AI SDK streamText (${kind}, ${mode})`,
        measured: `${fmt(ours.cpuUsPerToken.median, 1)} vs ${fmt(vercel.cpuUsPerToken.median, 1)} µs`,
        met: ours.cpuUsPerToken.median <= vercel.cpuUsPerToken.median,
      });
    }
  }
  return checks;
}
