/**
 * Raw samples folded into the figures the report shows: medians with their range, and each
 * variant's CPU per token as a multiple of the raw SDK's and of LangChain's own `.stream()`.
 *
 * @packageDocumentation
 */

import type { AbortSample, Trigger } from "../measure/abort.js";
import type { ThroughputSample } from "../measure/throughput.js";
import { type Spread, spread } from "../shared/stats.js";
import { KINDS, type Kind } from "../subjects/request-settings.js";
import type { Variant } from "../subjects/variants.js";

export interface VariantFigures {
  mode: ThroughputSample["mode"];
  variant: string;
  kind: Kind;
  cpuUsPerToken: Spread;
  tokensPerSecond: Spread;
  ttftMs: Spread;
  /** Median CPU per token over the raw SDK's median, same mode and kind. */
  vsRawSdk: number;
  /** Median CPU per token over LangChain `.stream()`'s median, same mode and kind. */
  vsLangchain: number;
}

export interface AbortFigures {
  subject: string;
  kind: Kind;
  trigger: Trigger;
  /** Over the samples that closed within the cap. */
  latencyMs: Spread;
  /** Samples that had not closed when the cap ran out. */
  capped: number;
  settledMs: Spread;
  /** Distinct ways the consumer's loop ended. */
  outcomes: string[];
}

/** Figures for every mode × kind × variant that has samples, in variant order. */
export function summariseThroughput(
  samples: readonly ThroughputSample[],
  variants: readonly Variant[],
): VariantFigures[] {
  const figures: VariantFigures[] = [];
  const modes = [...new Set(samples.map((sample) => sample.mode))];
  for (const mode of modes) {
    for (const kind of KINDS) {
      const of = (variant: string) =>
        samples.filter((s) => s.mode === mode && s.kind === kind && s.variant === variant);
      const cpuMedian = (variant: string) => spread(of(variant).map((s) => s.cpuUsPerToken)).median;
      const raw = cpuMedian("raw-sdk");
      const langchain = cpuMedian("langchain");
      for (const variant of variants) {
        const mine = of(variant.id);
        if (mine.length === 0) continue;
        const cpu = spread(mine.map((s) => s.cpuUsPerToken));
        figures.push({
          mode,
          variant: variant.id,
          kind,
          cpuUsPerToken: cpu,
          tokensPerSecond: spread(mine.map((s) => s.tokensPerSecond)),
          ttftMs: spread(mine.map((s) => s.ttftMs)),
          vsRawSdk: cpu.median / raw,
          vsLangchain: cpu.median / langchain,
        });
      }
    }
  }
  return figures;
}

/** Figures per subject × kind × trigger that has samples. */
export function summariseAbort(samples: readonly AbortSample[]): AbortFigures[] {
  const groups = new Map<string, AbortSample[]>();
  for (const sample of samples) {
    const key = `${sample.subject}|${sample.kind}|${sample.trigger}`;
    groups.set(key, [...(groups.get(key) ?? []), sample]);
  }
  return [...groups.values()].map((group) => {
    const [first] = group as [AbortSample];
    const closed = group.flatMap((s) => (s.latencyMs === null ? [] : [s.latencyMs]));
    return {
      subject: first.subject,
      kind: first.kind,
      trigger: first.trigger,
      latencyMs: spread(closed),
      capped: group.length - closed.length,
      settledMs: spread(group.map((s) => s.settledMs)),
      outcomes: [...new Set(group.map((s) => s.outcome))],
    };
  });
}
