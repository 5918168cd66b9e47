/**
 * The concurrency part of the benchmark's Markdown report: one table per N with a column per
 * endpoint, and the sweep table when more than one N ran.
 *
 * @packageDocumentation
 */

import {
  type ConcurrencyResult,
  type ConcurrencyRun,
  ENDPOINT_LABELS,
  type EndpointId,
} from "../concurrency/measure.js";
import { spread } from "../shared/stats.js";
import { num, ranged, table } from "./markdown.js";

/** The other endpoints measured at the same N, to compare a run with. */
type Peers = Partial<Record<EndpointId, ConcurrencyResult>>;

/** A measure of the concurrency table: its label (from one run at that N) and one cell per run. */
interface ConcurrencyRow {
  label: (c: ConcurrencyResult) => string;
  cell: (c: ConcurrencyResult, peers: Peers) => string;
}

/** CPU µs per token delivered: the endpoint process's CPU over the run, divided by its tokens. */
export const cpuUsPerToken = (c: ConcurrencyResult) => 1e6 / c.tokensPerCpuSecond;

/**
 * `(1.23× floor, 0.98× raw-openai)`: a figure of this run against the same figure of the floor and
 * the raw-openai route at the same N, for those that ran (and are not this run).
 */
function ratios(c: ConcurrencyResult, peers: Peers, figure: (c: ConcurrencyResult) => number) {
  const parts = (["floor", "raw-openai"] as const)
    .filter((id) => peers[id] !== undefined && peers[id] !== c)
    .map((id) => `${num(figure(c) / figure(peers[id] as ConcurrencyResult), 2)}× ${id}`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

const p50p99max = (g: { p50: number; p99: number; max: number }) =>
  `${num(g.p50, 2)} / ${num(g.p99, 2)} / ${num(g.max, 1)} ms`;

const CONCURRENCY_ROWS: ConcurrencyRow[] = [
  {
    label: () => "streams complete",
    cell: (c) => `${c.complete} of ${c.streams} (${c.tokens} tokens each)`,
  },
  {
    label: () => "CPU per token delivered, endpoint process",
    cell: (c, peers) => `${num(cpuUsPerToken(c), 1)} µs${ratios(c, peers, cpuUsPerToken)}`,
  },
  {
    label: () => "peak RSS of the endpoint process",
    cell: (c, peers) =>
      `${num(c.rssPeakMb, 0)} MB (${num(c.rssBaselineMb, 0)} MB before)${ratios(c, peers, (r) => r.rssPeakMb)}`,
  },
  {
    label: (c) => `added inter-token gap (observed − ${c.delayMs} ms), p50 / p99 / max`,
    cell: (c) => `${p50p99max(c.addedGapMs)} over ${num(c.addedGapMs.count, 0)} gaps`,
  },
  {
    label: (c) => `the same while all ${c.streams} streams ran, p50 / p99 / max`,
    cell: (c) =>
      c.steadyWindowMs.from < c.steadyWindowMs.to
        ? `${p50p99max(c.steadyAddedGapMs)} over ${num(c.steadyAddedGapMs.count, 0)} gaps (${num(c.steadyWindowMs.from / 1000, 1)}–${num(c.steadyWindowMs.to / 1000, 1)} s)`
        : `never: the last stream's first token (${num(c.steadyWindowMs.from / 1000, 1)} s) came after the first stream ended (${num(c.steadyWindowMs.to / 1000, 1)} s)`,
  },
  {
    label: () => "the upstream's own timer lag (already in the gaps above), p50 / p99 / max",
    cell: (c) => p50p99max(c.upstreamLatenessMs),
  },
  {
    label: () => "time to first token, median (min–max)",
    cell: (c, peers) => `${ranged(c.ttftMs, 1)} ms${ratios(c, peers, (r) => r.ttftMs.median)}`,
  },
  {
    label: () => "CPU of the endpoint process",
    cell: (c) => `${num(c.cpuCores, 2)} cores over ${num(c.wallMs / 1000, 1)} s`,
  },
  {
    label: (c) =>
      `tokens per CPU-second (÷ ${num(1000 / c.delayMs, 0)}: streams one core carries at this pace)`,
    cell: (c) =>
      `${num(c.tokensPerCpuSecond, 0)} (${num(c.tokensPerCpuSecond / (1000 / c.delayMs), 0)} streams)`,
  },
  {
    label: () =>
      "connections dropped for a full accept queue (Linux ListenOverflows, machine-wide)",
    cell: (c) => (c.listenOverflows === null ? "n/a" : num(c.listenOverflows, 0)),
  },
  {
    label: () =>
      "event-loop delay of the endpoint process beyond the 10 ms sampling interval, p50 / p99 / max",
    cell: (c) => p50p99max(c.eventLoopDelayMs),
  },
];

/**
 * One N (one round of it), a column per endpoint measured at it.
 *
 * @param round - `"round 2 of 5"` when the run had rounds, for the heading
 */
export function concurrencySection(runs: ConcurrencyRun[], round?: string): string {
  const head = runs[0] as ConcurrencyRun;
  const { fresh, result: first } = head;
  const rate = 1000 / first.delayMs;
  const peers: Peers = Object.fromEntries(runs.map((r) => [r.endpoint, r.result]));
  const notes: string[] = [];
  if (peers.floor !== undefined)
    notes.push(
      " The floor is `bench/subjects/floor-endpoint.ts`: the same wire format from a bare `node:http` forwarder that parses the upstream's SSE by hand (no openai SDK, no fetch, no LangChain, none of this library), in the same process position; it is what this machine allows, not a target.",
    );
  if (peers["raw-openai"] !== undefined)
    notes.push(
      " The raw-openai route is `bench/subjects/raw-openai-endpoint.ts`: the same route written by hand with `node:http` and the raw openai SDK, what a user gets without this library.",
    );
  const floorNote = notes.join("");
  return [
    `## Concurrency — HTTP endpoint, ${num(first.streams, 0)} simultaneous streams at ${num(rate, 0)} tokens/s${round === undefined ? "" : `, ${round}`}`,
    "",
    table(
      ["measure", ...runs.map((r) => ENDPOINT_LABELS[r.endpoint])],
      CONCURRENCY_ROWS.map((row) => [
        row.label(first),
        ...runs.map((r) => row.cell(r.result, peers)),
      ]),
    ),
    "",
    `A negative added gap is a token that arrived together with the one before: a process had fallen behind and read a backlog. Starts spread over ${first.rampMs} ms. The endpoint server runs in ${fresh ? "a new process of its own (`--fresh`), with an upstream of its own" : "the benchmark process"}, the ${first.streams} fetch + eventsource-parser clients in a child process of their own and the upstream in another: RSS, CPU and event-loop delay are the endpoint process's alone, while the gaps and times to first token are as the clients saw them, so they include the client process's own lag. ${fresh ? "Every run starts from a process that has served only the run's small warm-up." : "Endpoints run one after the other in the same process, so a later one's RSS starts from what the earlier left."} ${oursBuildNote(head)}${floorNote}`,
  ].join("\n");
}

/** Which code of ours the runs served: `src/` through tsx, or the built package. */
function oursBuildNote(run: ConcurrencyRun): string {
  return run.build === "dist"
    ? "Ours is the built package (`dist/`, `--dist`), as users run it."
    : "Ours is `src/` through tsx, which wraps every function it creates to keep its name (`--dist` measures the built package).";
}

/** The figures whose ratios to the floor's and the raw-openai route's the rounds table gives. */
const ROUND_FIGURES: { label: string; figure: (c: ConcurrencyResult) => number }[] = [
  { label: "CPU per token", figure: cpuUsPerToken },
  { label: "peak RSS", figure: (c) => c.rssPeakMb },
  { label: "time to first token, median", figure: (c) => c.ttftMs.median },
];

/**
 * Ours against each peer, round by round, at one N: a figure's ratio within each round (the two
 * ran back to back), then the median of those ratios with their range — the figure to read, as a
 * single run's time to first token swings widely with the machine's load.
 */
export function roundsSection(runs: ConcurrencyRun[]): string {
  const rounds = [...new Set(runs.map((r) => r.round))].sort((a, b) => a - b);
  const resultOf = (endpoint: EndpointId, round: number) =>
    runs.find((r) => r.endpoint === endpoint && r.round === round)?.result;
  const peers = (["floor", "raw-openai"] as const).filter((id) =>
    runs.some((r) => r.endpoint === id),
  );
  const rows: string[][] = [];
  for (const peer of peers) {
    for (const { label, figure } of ROUND_FIGURES) {
      const ratios = rounds.flatMap((round) => {
        const ours = resultOf("ours", round);
        const theirs = resultOf(peer, round);
        return ours === undefined || theirs === undefined ? [] : [figure(ours) / figure(theirs)];
      });
      if (ratios.length === 0) continue;
      rows.push([
        `${label}, ours ÷ ${peer}`,
        ...ratios.map((ratio) => `${num(ratio, 2)}×`),
        `**${num(spread(ratios).median, 2)}×** (${num(Math.min(...ratios), 2)}–${num(Math.max(...ratios), 2)})`,
      ]);
    }
  }
  if (rows.length === 0) return "";
  const head = runs[0] as ConcurrencyRun;
  const { fresh, result: first } = head;
  return [
    `## Rounds — ${num(first.streams, 0)} streams, ours against the other endpoints`,
    "",
    table(["ratio", ...rounds.map((round) => `round ${round}`), "median (range)"], rows),
    "",
    `Each ratio is of two runs made back to back in one round; rounds alternate the order (A B, B A, …)${
      fresh
        ? "; every run in a new process with an upstream of its own (`--fresh`): each endpoint's first burst, its code cold."
        : "; every run in the benchmark's one process, so the endpoint measured first in round 1 also warms Node's and the upstream's code for the others (`--fresh` measures each cold)."
    } ${oursBuildNote(head)}`,
  ].join("\n");
}

/** Every N and endpoint in one table, and the largest N each held within the gap target. */
export function sweepSection(runs: ConcurrencyRun[]): string {
  const rounds = new Set(runs.map((r) => r.round)).size;
  const rows = runs.map(({ endpoint, round, result: c }) => [
    num(c.streams, 0),
    `${ENDPOINT_LABELS[endpoint]}${rounds > 1 ? `, round ${round}` : ""}`,
    `${c.complete}/${c.streams}`,
    num(c.cpuCores, 2),
    num(c.tokensPerCpuSecond, 0),
    num(cpuUsPerToken(c), 1),
    c.steadyAddedGapMs.count > 0
      ? `${num(c.steadyAddedGapMs.p50, 2)} / ${num(c.steadyAddedGapMs.p99, 2)}`
      : "never all running",
    num(c.addedGapMs.p99, 2),
    num(c.rssPeakMb, 0),
    num(c.eventLoopDelayMs.p99, 2),
  ]);
  const held = [...new Set(runs.map((r) => r.endpoint))].map((endpoint) => {
    const within = runs
      .filter(
        (r) =>
          r.endpoint === endpoint &&
          r.result.failed === 0 &&
          r.result.steadyAddedGapMs.count > 0 &&
          r.result.steadyAddedGapMs.p99 < 5,
      )
      .map((r) => r.result.streams);
    return `${ENDPOINT_LABELS[endpoint]}: ${within.length > 0 ? num(Math.max(...within), 0) : "none"}`;
  });
  return [
    "## Concurrency sweep",
    "",
    table(
      [
        "N",
        "endpoint",
        "complete",
        "CPU cores",
        "tokens/CPU-s",
        "CPU µs/token",
        "steady added gap p50 / p99, ms",
        "overall p99, ms",
        "peak RSS, MB",
        "event-loop p99, ms",
      ],
      rows,
    ),
    "",
    `Largest N run with every stream complete and steady p99 added gap < 5 ms — ${held.join("; ")}.`,
  ].join("\n");
}
