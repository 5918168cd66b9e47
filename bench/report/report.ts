/**
 * The benchmark's Markdown report: one table per measurement, then the targets.
 *
 * @packageDocumentation
 */

import type { ConcurrencyRun } from "../concurrency/measure.js";
import { CAP_MS, STALL_MS, SUBJECT_LABELS } from "../measure/abort.js";
import type { ThroughputConfig } from "../measure/throughput.js";
import type { Variant } from "../subjects/variants.js";
import { concurrencySection, roundsSection, sweepSection } from "./concurrency.js";
import { num, ranged, table } from "./markdown.js";
import type { AbortFigures, VariantFigures } from "./summary.js";
import type { TargetCheck } from "./targets.js";

export interface ReportInput {
  machine: {
    node: string;
    cpus: number;
    cpuModel: string;
    platform: string;
    date: string;
    code: string;
    wakeCostUs: number;
  };
  quick: boolean;
  throughput: { config: ThroughputConfig; figures: VariantFigures[] }[];
  variants: readonly Variant[];
  aborts: AbortFigures[];
  /** Every concurrency run, ascending N, endpoints in turn at each. */
  concurrency: ConcurrencyRun[];
  targets: TargetCheck[];
  failures: string[];
  clockUncertaintyMs: number;
}

function throughputSection(
  { config, figures }: ReportInput["throughput"][number],
  variants: readonly Variant[],
): string {
  const { workload, reps } = config;
  const title =
    config.mode === "flat"
      ? `flat out (${num(workload.tokens, 0)} tokens per request, ${reps} rounds)`
      : `paced (${num(workload.tokens, 0)} tokens per request, ${workload.delayMs} ms before each, ${reps} rounds)`;
  const label = (id: string) => variants.find((v) => v.id === id)?.label ?? id;
  const rows = figures.map((f) => [
    label(f.variant) + (variants.find((v) => v.id === f.variant)?.note ? " †" : ""),
    f.kind,
    ranged(f.cpuUsPerToken, 1),
    num(f.vsRawSdk, 2),
    num(f.vsLangchain, 2),
    num(f.tokensPerSecond.median, 0),
    ranged(f.ttftMs, 2),
  ]);
  const notes = variants.filter((v) => v.note !== undefined).map((v) => `† ${v.label}: ${v.note}.`);
  return [
    `## Throughput — ${title}`,
    "",
    table(
      [
        "variant",
        "model",
        "CPU µs/token, median (min–max)",
        "× raw SDK",
        "× LangChain .stream()",
        "tokens/s (median)",
        "TTFT ms, median (min–max)",
      ],
      rows,
    ),
    "",
    ...notes,
  ].join("\n");
}

function abortSection(aborts: AbortFigures[], clockUncertaintyMs: number): string {
  const label: Record<string, string> = SUBJECT_LABELS;
  const rows = aborts.map((a) => [
    label[a.subject] ?? a.subject,
    a.kind,
    a.trigger === "break" ? "break" : "signal.abort()",
    a.capped > 0 && a.latencyMs.n === 0
      ? `≥ ${num(CAP_MS, 0)} (never closed within the cap, ${a.capped} of ${a.capped})`
      : `${ranged(a.latencyMs, 2)}${a.capped > 0 ? `; ${a.capped} more ≥ ${num(CAP_MS, 0)}` : ""}`,
    ranged(a.settledMs, 2),
    a.outcomes.join(", "),
  ]);
  return [
    `## Abort latency (the upstream sends one token, then waits ${num(STALL_MS, 0)} ms)`,
    "",
    table(
      [
        "path",
        "model",
        "trigger",
        "trigger → upstream sees socket close, ms",
        "trigger → consumer's loop ended, ms",
        "loop ended by",
      ],
      rows,
    ),
    "",
    `Close times are taken in the upstream process; the two clocks agree to ±${num(clockUncertaintyMs, 3)} ms.`,
  ].join("\n");
}

/** The whole report. */
export function renderReport(input: ReportInput): string {
  const { machine } = input;
  const sections = [
    `# completion-chain benchmark${input.quick ? " (--quick)" : ""}`,
    "",
    `Node ${machine.node} · ${machine.cpus} × ${machine.cpuModel} · ${machine.platform} · ${machine.date} · code ${machine.code}`,
    "",
    "CPU is `process.cpuUsage()` (user + system) of the benchmark process, divided by the tokens sent; the upstream runs in a child process. Ratios are of medians.",
    `One idle timer wake-up costs this machine ${num(machine.wakeCostUs, 0)} µs of CPU; paced tokens each pay at least one, so paced figures sit on that floor.`,
  ];
  for (const mode of input.throughput) sections.push("", throughputSection(mode, input.variants));
  if (input.aborts.length > 0)
    sections.push("", abortSection(input.aborts, input.clockUncertaintyMs));
  const counts = [...new Set(input.concurrency.map((r) => r.result.streams))];
  for (const n of counts) {
    const atN = input.concurrency.filter((r) => r.result.streams === n);
    const rounds = [...new Set(atN.map((r) => r.round))];
    for (const round of rounds) {
      const label = rounds.length > 1 ? `round ${round} of ${rounds.length}` : undefined;
      sections.push(
        "",
        concurrencySection(
          atN.filter((r) => r.round === round),
          label,
        ),
      );
    }
    if (rounds.length > 1) sections.push("", roundsSection(atN));
  }
  if (counts.length > 1) sections.push("", sweepSection(input.concurrency));
  sections.push(
    "",
    "## Targets",
    "",
    table(
      ["target", "measured", "met"],
      input.targets.map((t) => [
        t.target,
        t.measured,
        t.met === undefined ? "–" : t.met ? "yes" : "**no**",
      ]),
    ),
  );
  if (input.failures.length > 0) {
    sections.push("", "## Failures", "", ...input.failures.map((f) => `- ${f}`));
  }
  return `${sections.join("\n")}\n`;
}
