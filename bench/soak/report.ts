/**
 * The soak run's Markdown: the heap slope per endpoint with its samples and the requests' outcomes,
 * then the paused stream's figures per endpoint.
 *
 * @packageDocumentation
 */

import { table } from "../report/markdown.js";
import { type HeapSoakResult, SETTLE_MS } from "./heap.js";
import type { PausedResult } from "./paused.js";
import { SOAK_KIND_IDS } from "./requests.js";

const MiB = 2 ** 20;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const signedMib = (bytes: number) => `${bytes >= 0 ? "+" : "−"}${mib(Math.abs(bytes))}`;
const count = (n: number) => Math.round(n).toLocaleString("en-US");
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function heapSection(heap: HeapSoakResult[]): string {
  const first = heap[0];
  if (first === undefined) return "";
  const { requests, sampleEvery, concurrency, warmup } = first.config;
  const summary = table(
    [
      "endpoint",
      "slope, bytes/request",
      `growth over ${count(requests)} requests`,
      "heapUsed first → last",
      "RSS first → last",
      "wall",
    ],
    heap.map((h) => {
      const a = h.samples[0];
      const b = h.samples.at(-1);
      return [
        h.endpoint,
        count(h.slopeBytesPerRequest),
        signedMib(h.growthBytes),
        `${mib(a?.heapUsed ?? Number.NaN)} → ${mib(b?.heapUsed ?? Number.NaN)}`,
        `${mib(a?.rss ?? Number.NaN)} → ${mib(b?.rss ?? Number.NaN)}`,
        seconds(h.wallMs),
      ];
    }),
  );
  const samples = table(
    ["requests", ...heap.map((h) => `${h.endpoint} heapUsed, MiB`)],
    (first.samples ?? []).map((s, i) => [
      count(s.requests),
      ...heap.map((h) => ((h.samples[i]?.heapUsed ?? Number.NaN) / MiB).toFixed(2)),
    ]),
  );
  const kinds = SOAK_KIND_IDS.filter((kind) => heap.some((h) => h.outcomes[kind] !== undefined));
  const outcomes = table(
    ["kind", ...heap.map((h) => h.endpoint)],
    kinds.map((kind) => [
      kind,
      ...heap.map((h) =>
        Object.entries(h.outcomes[kind] ?? {})
          .map(([status, n]) => `${n} × ${status}`)
          .join(", "),
      ),
    ]),
  );
  return [
    `### (a) Heap after GC over ${count(requests)} mixed requests`,
    "",
    `Each endpoint in a child process of its own (\`--expose-gc\`), fresh; ${count(warmup)} warm-up requests, then ${count(requests)} measured, ${concurrency} in flight, interleaved by kind. Every ${count(sampleEvery)} requests (and ${SETTLE_MS} ms to settle) the child runs \`gc()\` twice and reports \`heapUsed\`; the slope is the least-squares line through those samples.`,
    "",
    summary,
    "",
    samples,
    "",
    "Requests by kind and outcome:",
    "",
    outcomes,
  ].join("\n");
}

function pausedSection(paused: PausedResult[]): string {
  const first = paused[0];
  if (first === undefined) return "";
  const { tokens, tokenBytes, readBeforePause, minPauseMs, quietMs, maxPauseMs } = first.config;
  const rows = paused.map((p) => [
    p.endpoint,
    signedMib(p.paused.heapUsed - p.baseline.heapUsed),
    signedMib(p.paused.rss - p.baseline.rss),
    `${mib(p.upstreamBytesPaused)} (${count(p.upstreamTokensPaused)} tokens)`,
    mib(p.upstreamBytesTotal),
    `${count(p.clientBytesBeforePause)} B`,
    seconds(p.pausedMs),
    p.intact
      ? `intact: ${mib(p.receivedTextBytes)}, ${count(p.receivedEvents)} events, SHA-256 ok (${seconds(p.drainMs)})`
      : `**${p.failure}**`,
  ]);
  return [
    `### (b) One paused stream of ~${mib(first.expectedTextBytes)}`,
    "",
    `${count(tokens)} tokens of ~${count(tokenBytes)} B, \`stream: true\`, through a fresh endpoint child. The client (\`http.request\`) reads ${count(readBeforePause)} B, then pauses the response until the upstream has sent nothing for ${seconds(quietMs)} (at least ${seconds(minPauseMs)}, at most ${seconds(maxPauseMs)}). Memory is the child's after two \`gc()\`, over its idle baseline; the upstream's bytes are its response body bytes (\`bytesSent()\`), JSON chunks larger than the text.`,
    "",
    table(
      [
        "endpoint",
        "heapUsed held while paused",
        "RSS over idle",
        "upstream sent while paused",
        "upstream sent in all",
        "client read before pausing",
        "paused for",
        "after resuming",
      ],
      rows,
    ),
  ].join("\n");
}

/**
 * The soak run's report.
 *
 * @param soak - the measurements, and which code and machine they are of
 * @example
 * ```ts
 * process.stdout.write(renderSoakReport({ machine, heap, paused, failures }));
 * ```
 */
export function renderSoakReport(soak: {
  machine: string;
  heap: HeapSoakResult[];
  paused: PausedResult[];
  failures: string[];
}): string {
  const failures =
    soak.failures.length === 0
      ? "No functional failures."
      : ["**Failures:**", "", ...soak.failures.map((f) => `- ${f}`)].join("\n");
  return `${[
    "## Soak",
    "",
    soak.machine,
    "",
    heapSection(soak.heap),
    "",
    pausedSection(soak.paused),
    "",
    failures,
  ].join("\n")}\n`;
}
