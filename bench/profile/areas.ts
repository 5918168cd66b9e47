/**
 * Where a V8 CPU profile's busy time went, by area rather than by package: socket writes, GC, web
 * streams, undici's `fetch`, openai-node, the microtask queue, this library's `src/`, LangChain,
 * prom-client, pino, … A frame with no script (a V8 builtin) counts for the nearest caller that has
 * one. Idle time is left out; shares are of the rest.
 *
 * `npx tsx bench/profile/areas.ts <file.cpuprofile> [cpuUsPerToken]` prints a Markdown table; with
 * the profiled run's CPU µs per token it adds each area's share of it. Made for a profile of the
 * endpoint process under the concurrency load, e.g.
 * `node --cpu-prof --cpu-prof-dir=bench/profiles --cpu-prof-interval=500 --import tsx bench/run.ts
 * --only=concurrency --streams=1000 --endpoint=ours` (the clients and upstream children are not
 * profiled: they are forked with execArgv of their own).
 *
 * @packageDocumentation
 */

import { readFile } from "node:fs/promises";
import { num, table } from "../report/markdown.js";

interface CallFrame {
  functionName: string;
  url: string;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Rows below this share are summed into one. */
const MIN_SHARE = 0.005;

const packageOf = (url: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];

/** The area of a frame that has a script, or `undefined` for one that does not. */
function areaOfScript(url: string, fn: string): string | undefined {
  if (url === "") return undefined;
  const pkg = packageOf(url);
  if (pkg === "prom-client") return "prom-client";
  if (pkg?.startsWith("pino")) return "pino";
  if (pkg?.startsWith("@langchain/") || pkg === "langsmith" || pkg === "p-queue") {
    return "LangChain (@langchain/*, p-queue, langsmith)";
  }
  if (pkg === "openai") return "openai-node";
  if (pkg !== undefined) return `package ${pkg}`;
  if (url.includes("/src/")) return "completion-chain src/";
  if (url.includes("/bench/")) return "bench/ (harness, hand-written routes)";
  if (url.includes("stream_base_commons") || (url === "node:net" && /write/i.test(fn))) {
    return "socket writes (writev, net)";
  }
  if (url.includes("undici")) return "undici fetch (with llhttp's wasm)";
  if (url.includes("webstreams")) return "web streams";
  if (/_http_/.test(url)) return "node:http";
  if (url.includes("streams/")) return "Node streams (Readable/Writable)";
  if (url.includes("task_queues")) return "microtask and tick queue";
  if (url.includes("timers")) return "timers";
  if (url === "node:events") return "EventEmitter";
  return `other: ${url.replace(/^node:internal\//, "")}`;
}

function areaOf(stack: CallFrame[]): string | null {
  const [top] = stack as [CallFrame];
  const fn = top.functionName;
  if (fn === "(idle)") return null;
  if (fn === "(garbage collector)") return "GC";
  if (fn === "(program)") return "(program): native, outside JS";
  if (fn === "writev" || (fn.startsWith("write") && fn.endsWith("String"))) {
    return "socket writes (writev, net)";
  }
  if (fn === "runMicrotasks") return "microtask and tick queue";
  if (fn.startsWith("wasm")) return "undici fetch (with llhttp's wasm)";
  for (const frame of stack) {
    const area = areaOfScript(frame.url, frame.functionName);
    if (area !== undefined) return area;
  }
  return `V8 builtin ${fn}`;
}

/**
 * Busy time by area, largest first, as shares of the busy time.
 *
 * @example
 * ```ts
 * const { busyMs, areas } = summariseAreas(JSON.parse(await readFile(file, "utf8")));
 * ```
 */
export function summariseAreas(profile: CpuProfile): { busyMs: number; areas: [string, number][] } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    // A sample's time is the delta to the next one.
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  });
  const byArea = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const stack: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      stack.push((nodes.get(at) as ProfileNode).callFrame);
    }
    const area = areaOf(stack);
    if (area === null) continue;
    busy += us;
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const areas = [...byArea]
    .map(([area, us]): [string, number] => [area, us / busy])
    .sort((a, b) => b[1] - a[1]);
  return { busyMs: busy / 1000, areas };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, perToken] = process.argv.slice(2);
  if (file === undefined) {
    throw new Error("usage: npx tsx bench/profile/areas.ts <file.cpuprofile> [cpuUsPerToken]");
  }
  const usPerToken = perToken === undefined ? undefined : Number(perToken);
  const { busyMs, areas } = summariseAreas(JSON.parse(await readFile(file, "utf8")) as CpuProfile);
  const shown = areas.filter(([, share]) => share >= MIN_SHARE);
  const rest = areas.filter(([, share]) => share < MIN_SHARE).reduce((sum, [, s]) => sum + s, 0);
  const cells = (share: number) => [
    `${num(share * 100, 1)}%`,
    ...(usPerToken === undefined ? [] : [num(share * usPerToken, 1)]),
  ];
  process.stdout.write(
    [
      `${num(busyMs / 1000, 1)} s busy (idle excluded) in ${file}`,
      "",
      table(
        ["area", "share", ...(usPerToken === undefined ? [] : ["µs/token"])],
        [
          ...shown.map(([area, share]) => [area, ...cells(share)]),
          [`rest (each < ${MIN_SHARE * 100}%)`, ...cells(rest)],
        ],
      ),
      "",
    ].join("\n"),
  );
}
