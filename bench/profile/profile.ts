/**
 * `npx tsx bench/profile/profile.ts <variant> [completion|chat] [--requests=20] [--tokens=2000]
 * [--delay=0]`
 *
 * CPU-profiles one variant streaming flat out (e.g. `completion`, `langchain`, `http`; see
 * `subjects/variants.ts`), then prints where the time went (`summary.ts`). Re-runs itself under
 * `node --cpu-prof`; the upstream child is not profiled. The profile and the measured window go to
 * `bench/profiles/`, for Chrome DevTools or a second look.
 *
 * @packageDocumentation
 */

import { spawnSync } from "node:child_process";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { findSourceMap, type SourceMapPayload } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { serveCompletion } from "../../src/http/node/index.js";
import { benchRegistry, type Kind } from "../subjects/request-settings.js";
import { VARIANTS } from "../subjects/variants.js";
import { startUpstreamProcess } from "../upstream/process.js";
import { expectedText, workloadPrompt } from "../upstream/workload.js";
import { summariseProfile } from "./summary.js";

const args = process.argv.slice(2);
const positional = args.filter((arg) => !arg.startsWith("--"));
const option = (name: string, fallback: number) =>
  Number(args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const variantId = positional[0] ?? "completion";
const kind = (positional[1] ?? "completion") as Kind;
const requests = option("requests", 20);
const tokens = option("tokens", 2_000);
const variant = VARIANTS.find((v) => v.id === variantId);
if (variant === undefined || (kind !== "completion" && kind !== "chat")) {
  process.stderr.write(
    `usage: npx tsx bench/profile/profile.ts <${VARIANTS.map((v) => v.id).join("|")}> [completion|chat]\n`,
  );
  process.exit(2);
}

const dir = fileURLToPath(new URL("../profiles/", import.meta.url));
const name = `${variantId}-${kind}`;

if (!args.includes("--profiled")) {
  // The parent: run this file again under the profiler, then read what it wrote. Every thread
  // writes a profile, tsx's module-loader thread included, so they go to a scratch directory under
  // V8's default names (`CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`) and the main thread's
  // (thread 0) is kept.
  const scratch = `${dir}${name}.tmp/`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const child = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--cpu-prof",
      `--cpu-prof-dir=${scratch}`,
      // 100 µs rather than V8's default 1 ms: a token costs far less than a millisecond (see the
      // benchmark's CPU µs per token), so coarser sampling would catch few of them.
      "--cpu-prof-interval=100",
      fileURLToPath(import.meta.url),
      ...args,
      "--profiled",
    ],
    { stdio: "inherit" },
  );
  if (child.status !== 0) process.exit(child.status ?? 1);
  const main = (await readdir(scratch)).find((file) => /\.\d+\.0\.\d+\.cpuprofile$/.test(file));
  if (main === undefined) throw new Error(`no main-thread profile in ${scratch}`);
  await rename(`${scratch}${main}`, `${dir}${name}.cpuprofile`);
  await rm(scratch, { recursive: true, force: true });
  process.stdout.write(
    await summariseProfile(`${dir}${name}.cpuprofile`, `${dir}${name}.window.json`),
  );
  process.exit(0);
}

/**
 * tsx compiles each file to one line, so the profile's positions mean nothing without the source
 * maps it made; only this process has them.
 */
async function sourceMapsOf(folders: string[]): Promise<Record<string, SourceMapPayload>> {
  const maps: Record<string, SourceMapPayload> = {};
  for (const folder of folders) {
    const root = fileURLToPath(new URL(folder, import.meta.url));
    for (const file of await readdir(root, { recursive: true })) {
      if (!file.endsWith(".ts")) continue;
      const url = pathToFileURL(`${root}${file}`).href;
      const payload = findSourceMap(url)?.payload;
      if (payload !== undefined) maps[url] = { ...payload, sourcesContent: [] };
    }
  }
  return maps;
}

const upstream = await startUpstreamProcess();
const endpoint = await serveCompletion({
  port: 0,
  log: false,
  models: benchRegistry(upstream.url),
});
const stream = variant.prepare(kind, { upstreamURL: upstream.url, endpointURL: endpoint.url });
const workload = { tokens, delayMs: option("delay", 0) };
const prompt = workloadPrompt(workload);
const expected = expectedText(workload);
const once = async () => {
  let text = "";
  await stream(prompt, (token) => {
    text += token;
  });
  if (text !== expected) throw new Error(`incomplete stream: ${text.length} of ${expected.length}`);
};

for (let round = 0; round < 3; round++) await once(); // warm-up, left out of the window
// V8 stamps profile samples with the same monotonic clock as hrtime, in µs.
const from = Number(process.hrtime.bigint() / 1000n);
for (let round = 0; round < requests; round++) await once();
const to = Number(process.hrtime.bigint() / 1000n);
await writeFile(
  `${dir}${name}.window.json`,
  JSON.stringify({
    variant: variantId,
    kind,
    requests,
    tokens,
    fromUs: from,
    toUs: to,
    sourceMaps: await sourceMapsOf(["../../src/", "../"]),
  }),
);
await endpoint.close();
await upstream.close();
process.exit(0);
