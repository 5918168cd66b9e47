/**
 * Where a V8 CPU profile's time went: self time by package and by function, restricted to the
 * measured window, with this project's own `src/` functions called out.
 *
 * `npx tsx bench/profile/summary.ts <file.cpuprofile> [window.json]` prints the same summary for
 * any profile (`profile.ts` calls it after profiling).
 *
 * @packageDocumentation
 */

import { readFile } from "node:fs/promises";
import { SourceMap, type SourceMapPayload } from "node:module";
import { fileURLToPath } from "node:url";
import { table } from "../report/markdown.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface Window {
  fromUs: number;
  toUs: number;
  requests: number;
  tokens: number;
  /** For files the profiled process compiled (tsx): generated positions → source lines. */
  sourceMaps?: Record<string, SourceMapPayload>;
}

/** Rows shown per table. */
const TOP = 20;
/** V8's pseudo-frames that are not work. */
const IDLE = new Set(["(idle)"]);

/** Functions whose callers are shown, and how many frames up. */
const CALLER_ROWS = 12;
const CALLER_DEPTH = 4;

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The package (or part of the runtime) a frame belongs to. */
export function categoryOf(url: string, functionName: string): string {
  if (url === "") {
    if (functionName === "(garbage collector)") return "GC";
    if (functionName.startsWith("(")) return functionName;
    return "V8 builtins";
  }
  if (url.startsWith("node:")) return "Node internals";
  const path = url.replace(/^file:\/\//, "");
  const modules = path.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const [scope, name] = path.slice(modules + "/node_modules/".length).split("/");
    return scope?.startsWith("@") ? `${scope}/${name}` : (scope ?? "?");
  }
  if (path.startsWith(`${ROOT}src/`)) return "completion-chain (src/)";
  if (path.startsWith(`${ROOT}bench/`)) return "bench harness";
  return "other";
}

type Locate = (frame: ProfileNode["callFrame"]) => string;

/** `file:line`, relative to the project or to node_modules, through source maps where there are. */
function locator(sourceMaps: Record<string, SourceMapPayload> = {}): Locate {
  const maps = new Map<string, SourceMap>();
  return ({ url, lineNumber, columnNumber }) => {
    const path = url.replace(/^file:\/\//, "").replace(ROOT, "");
    const modules = path.lastIndexOf("node_modules/");
    const file = modules >= 0 ? path.slice(modules + "node_modules/".length) : path;
    const payload = sourceMaps[url];
    if (payload === undefined) return `${file}:${lineNumber + 1}`;
    let map = maps.get(url);
    if (map === undefined) {
      map = new SourceMap(payload);
      maps.set(url, map);
    }
    const entry = map.findEntry(lineNumber, columnNumber) as { originalLine?: number };
    return `${file}:${entry.originalLine === undefined ? "?" : entry.originalLine + 1}`;
  };
}

/** `a ← b ← c`: the frames above `id`, nearest first. */
function callersOf(
  id: number,
  parent: Map<number, number>,
  byId: Map<number, ProfileNode>,
  where: Locate,
): string {
  const names: string[] = [];
  let cursor = parent.get(id);
  while (cursor !== undefined && names.length < CALLER_DEPTH) {
    const frame = (byId.get(cursor) as ProfileNode).callFrame;
    if (frame.functionName === "(root)") break;
    names.push(`${frame.functionName || "(anonymous)"} (${where(frame).replace(/^.*\//, "")})`);
    cursor = parent.get(cursor);
  }
  return names.join(" ← ") || "(top of stack)";
}

const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;

/**
 * Reads a `.cpuprofile` (and optionally the window `profile.ts` wrote) and renders the summary as
 * Markdown.
 */
export async function summariseProfile(profilePath: string, windowPath?: string): Promise<string> {
  const profile = JSON.parse(await readFile(profilePath, "utf8")) as CpuProfile;
  const window = windowPath
    ? (JSON.parse(await readFile(windowPath, "utf8")) as Window)
    : undefined;
  const where = locator(window?.sourceMaps);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);

  // A sample stands for the time until the next one, as DevTools counts it.
  const self = new Map<number, number>();
  let at = profile.startTime;
  for (let index = 0; index < profile.samples.length; index++) {
    at += profile.timeDeltas[index] ?? 0;
    const duration = profile.timeDeltas[index + 1] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const id = profile.samples[index] as number;
    self.set(id, (self.get(id) ?? 0) + duration);
  }

  const functions = new Map<
    string,
    { name: string; where: string; category: string; us: number; callers: Map<string, number> }
  >();
  const categories = new Map<string, number>();
  // Time under our own frames: each sample goes to the nearest src/ frame on its stack, if any.
  const underOurs = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const { functionName, url } = frame;
    if (IDLE.has(functionName)) continue;
    total += us;
    const category = categoryOf(url, functionName);
    const name = functionName || "(anonymous)";
    const location = where(frame);
    const key = `${name}|${location}`;
    const entry = functions.get(key) ?? {
      name,
      where: location,
      category,
      us: 0,
      callers: new Map<string, number>(),
    };
    entry.us += us;
    const chain = callersOf(id, parent, byId, where);
    entry.callers.set(chain, (entry.callers.get(chain) ?? 0) + us);
    functions.set(key, entry);
    categories.set(category, (categories.get(category) ?? 0) + us);
    for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
      const caller = (byId.get(cursor) as ProfileNode).callFrame;
      if (categoryOf(caller.url, caller.functionName) !== "completion-chain (src/)") continue;
      const ours = `${caller.functionName || "(anonymous)"} ${where(caller)}`;
      underOurs.set(ours, (underOurs.get(ours) ?? 0) + us);
      break;
    }
  }

  const tokens = window ? window.requests * window.tokens : undefined;
  const perToken = (us: number) => (tokens ? (us / tokens).toFixed(2) : "–");
  const ranked = [...functions.values()].sort((a, b) => b.us - a.us);
  const fnRows = (rows: typeof ranked) =>
    rows.map((f) => [pct(f.us, total), perToken(f.us), f.category, `\`${f.name}\``, f.where]);
  const head = ["self", "µs/token", "package", "function", "where"];
  const ours = ranked.filter((f) => f.category === "completion-chain (src/)");

  return [
    `### ${profilePath.split("/").pop()}`,
    "",
    window
      ? `Window: ${window.requests} requests × ${window.tokens} tokens; ${(total / 1000).toFixed(0)} ms sampled CPU, ${perToken(total)} µs/token (profiler overhead included).`
      : `${(total / 1000).toFixed(0)} ms sampled CPU (whole profile).`,
    "",
    "Self time by package:",
    "",
    table(
      ["package", "self", "µs/token"],
      [...categories.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([category, us]) => [category, pct(us, total), perToken(us)]),
    ),
    "",
    `Top ${TOP} functions by self time:`,
    "",
    table(head, fnRows(ranked.slice(0, TOP))),
    "",
    `Who calls the top ${CALLER_ROWS} (the most frequent caller chain, nearest first):`,
    "",
    table(
      ["self", "function", "called from"],
      ranked.slice(0, CALLER_ROWS).map((f) => {
        const [chain = "", us = 0] = [...f.callers.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
        return [pct(f.us, total), `\`${f.name}\``, `${chain} (${pct(us, f.us)} of its time)`];
      }),
    ),
    "",
    "completion-chain's own functions (src/) by self time:",
    "",
    ours.length > 0 ? table(head, fnRows(ours.slice(0, TOP))) : "(none sampled)",
    "",
    "Time spent below each src/ function (synchronous stacks only: work resumed from a microtask is not linked to its caller):",
    "",
    underOurs.size > 0
      ? table(
          ["below", "µs/token", "src/ function"],
          [...underOurs.entries()]
            .sort((a, b) => b[1] - a[1])
            .slice(0, TOP)
            .map(([name, us]) => [pct(us, total), perToken(us), `\`${name}\``]),
        )
      : "(none)",
    "",
  ].join("\n");
}

// Run directly: summarise the profile named on the command line.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [profilePath, windowPath] = process.argv.slice(2);
  if (profilePath === undefined) {
    process.stderr.write(
      "usage: npx tsx bench/profile/summary.ts <file.cpuprofile> [window.json]\n",
    );
    process.exit(2);
  }
  process.stdout.write(await summariseProfile(profilePath, windowPath));
}
