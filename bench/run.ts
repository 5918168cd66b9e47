/**
 * `npm run bench [-- --quick] [-- --streams=N[,N…]] [-- --endpoint=ours|floor|raw-openai|both|all]
 * [-- --only=throughput,abort,requests,concurrency] [-- --rounds=K] [-- --fresh] [-- --dist]`,
 * or `npm run bench -- --soak [--endpoint=…]`
 *
 * Streams the same completions through six clients (raw openai SDK, LangChain, AI SDK,
 * completion(), the chain, the HTTP endpoint) against an upstream in a child process, then times
 * aborts and runs many concurrent streams through the endpoint, and, for comparison, through a
 * hand-written floor (`subjects/floor-endpoint.ts`: `node:http`, the upstream's SSE parsed by hand)
 * and the route a user would write with the raw openai SDK (`subjects/raw-openai-endpoint.ts`). Prints a Markdown report and
 * writes `results.json` and `cpu-per-token.svg` next to this file (`*.quick.*` for `--quick`,
 * `*.partial.*` for `--only`). `--soak` runs the soak part alone instead (`soak/`: heap slope
 * over thousands of mixed requests, memory held by one paused 100 MB stream) and only prints.
 * Exits non-zero only when something is functionally wrong: a stream incomplete, an error.
 *
 * @packageDocumentation
 */

import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  type ConcurrencyConfig,
  type ConcurrencyResult,
  type ConcurrencyRun,
  ENDPOINT_IDS,
  ENDPOINT_LABELS,
  type EndpointId,
  measureConcurrency,
  type OursBuild,
} from "./concurrency/measure.js";
import { measureConcurrencyFresh } from "./concurrency/fresh.js";
import { serveEndpoint } from "./concurrency/serve-endpoint.js";
import { type AbortConfig, type AbortSample, measureAbort } from "./measure/abort.js";
import {
  measureRequestCost,
  type RequestCostConfig,
  type RequestCostSample,
  summariseRequestCost,
} from "./measure/requests.js";
import {
  measureThroughput,
  type ThroughputConfig,
  type ThroughputSample,
} from "./measure/throughput.js";
import { measureWakeCost } from "./measure/wake-cost.js";
import { describeMachine, machineLine } from "./report/machine.js";
import { renderReport } from "./report/report.js";
import { requestCostSection } from "./report/requests.js";
import { summariseAbort, summariseThroughput } from "./report/summary.js";
import { renderCpuChart } from "./report/svg.js";
import { checkTargets } from "./report/targets.js";
import type { SoakEndpointId } from "./soak/protocol.js";
import { runSoak } from "./soak/soak.js";
import { VARIANTS } from "./subjects/variants.js";
import { startUpstreamProcess } from "./upstream/process.js";

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const option = (name: string) =>
  args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = option("only")?.split(",");
const runs = (part: string) => only === undefined || only.includes(part);

// Tracing would add LangSmith's work to the LangChain variants' CPU, and send runs off the machine.
for (const name of ["LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGCHAIN_TRACING"]) {
  delete process.env[name];
}

const throughputConfigs: ThroughputConfig[] = quick
  ? [
      { mode: "flat", workload: { tokens: 300, delayMs: 0 }, reps: 3, warmup: 1 },
      { mode: "paced", workload: { tokens: 40, delayMs: 5 }, reps: 2, warmup: 0 },
    ]
  : [
      { mode: "flat", workload: { tokens: 2_000, delayMs: 0 }, reps: 15, warmup: 2 },
      { mode: "paced", workload: { tokens: 400, delayMs: 5 }, reps: 5, warmup: 0 },
    ];
const abortConfig: AbortConfig = quick
  ? { reps: 3, langchainBreakReps: 0 }
  : { reps: 10, langchainBreakReps: 3 };
/** The per-request part: sequential two-token streams through each endpoint (`measure/requests.ts`). */
const requestConfig: RequestCostConfig = quick
  ? { rounds: 2, requests: 100, warmup: 50 }
  : { rounds: 5, requests: 1_000, warmup: 300 };
/** `--streams=N` or a sweep, `--streams=100,200,400`: each N (ascending) is run for every endpoint. */
const streamCounts = (option("streams") ?? (quick ? "50" : "1000"))
  .split(",")
  .map((n) => Number(n.replaceAll("_", "")))
  .sort((a, b) => a - b);
if (streamCounts.some((n) => !Number.isInteger(n) || n < 1)) {
  throw new Error(`--streams takes whole numbers ≥ 1, comma-separated; got ${option("streams")}`);
}
/**
 * `--endpoint=ours|floor|raw-openai|both|all`: `both` is ours and the floor, `all` adds the
 * raw-openai route (the full run's default); the quick run (CI) measures ours alone.
 */
const endpointOption = option("endpoint") ?? (quick ? "ours" : "all");
const endpoints: readonly EndpointId[] =
  endpointOption === "all"
    ? ENDPOINT_IDS
    : endpointOption === "both"
      ? ENDPOINT_IDS.filter((id) => id !== "raw-openai")
      : ENDPOINT_IDS.filter((id) => id === endpointOption);
if (endpoints.length === 0) {
  throw new Error(`--endpoint takes ours, floor, raw-openai, both or all; got ${endpointOption}`);
}

if (args.includes("--soak")) {
  // The soak knows ours and the floor; the raw-openai route is the concurrency run's alone.
  const soakEndpoints = endpoints.filter((id): id is SoakEndpointId => id !== "raw-openai");
  if (soakEndpoints.length === 0)
    throw new Error("--soak takes --endpoint=ours, floor, both or all");
  const { report, failures } = await runSoak({ endpoints: soakEndpoints, machine: machineLine() });
  await new Promise<void>((resolve) => process.stdout.write(report, () => resolve()));
  process.exit(failures.length > 0 ? 1 : 0);
}

/**
 * `--rounds=K`: the concurrency run K times at each N, every endpoint in each round, in the order
 * A B, B A, A B … so that drift of the machine lands on each alike. One run's time to first token
 * swings widely on a loaded 2-core machine (ours/floor from 1.6× to 3.7× in four runs of one
 * commit), so a ratio is read as the median of the rounds' ratios (report: "Rounds").
 */
const rounds = Number(option("rounds") ?? "1");
if (!Number.isInteger(rounds) || rounds < 1) {
  throw new Error(`--rounds takes a whole number ≥ 1; got ${option("rounds")}`);
}

/**
 * `--fresh`: every concurrency run in a new process with its own upstream
 * (`concurrency/fresh-child.ts`). In one process the endpoint measured first warms the code the
 * others then find warm — Node's `http`, the upstream's — and pays for the JIT on its own; fresh,
 * every endpoint meets the load cold, as a server just started does.
 */
const fresh = args.includes("--fresh");

/**
 * `--dist`: ours' served endpoint is the built package, `dist/` from `npm run build`, as users run
 * it, rather than `src/` through tsx (see `OursBuild`): the concurrency and per-request parts, and
 * the throughput part's HTTP-endpoint variant. The other throughput variants (`completion()`, the
 * chain) still import `src/`.
 */
const build: OursBuild = args.includes("--dist") ? "dist" : "src";

const concurrencyConfigs: ConcurrencyConfig[] = streamCounts.map((streams) => ({
  streams,
  tokens: quick ? 60 : 500,
  delayMs: 50,
  rampMs: quick ? 250 : 1_000,
}));

const failures: string[] = [];
const wakeCostUs = await measureWakeCost();
const upstream = await startUpstreamProcess();
const endpoint = await serveEndpoint("ours", upstream.url, build);
const comparing = runs("concurrency") || runs("requests");
const floor =
  comparing && endpoints.includes("floor") ? await serveEndpoint("floor", upstream.url) : undefined;
const rawOpenAI =
  comparing && endpoints.includes("raw-openai")
    ? await serveEndpoint("raw-openai", upstream.url)
    : undefined;
const endpointURLs: Record<EndpointId, string | undefined> = {
  ours: endpoint.url,
  floor: floor?.url,
  "raw-openai": rawOpenAI?.url,
};
const targets = { upstreamURL: upstream.url, endpointURL: endpoint.url };

const throughput: { config: ThroughputConfig; samples: ThroughputSample[] }[] = [];
let abortSamples: AbortSample[] = [];
let abortClock = 0;
const concurrencyRuns: ConcurrencyRun[] = [];
let requestSamples: RequestCostSample[] = [];
try {
  if (runs("throughput")) {
    for (const config of throughputConfigs) {
      const samples = await measureThroughput(config, VARIANTS, targets, failures);
      throughput.push({ config, samples });
    }
  }
  if (runs("abort")) {
    // Its own upstream: the close watch needs every other connection gone, and the throughput
    // clients leave keep-alive sockets behind on theirs.
    const abortUpstream = await startUpstreamProcess();
    try {
      abortSamples = await measureAbort(abortConfig, abortUpstream, failures);
      abortClock = abortUpstream.clockUncertaintyMs;
    } finally {
      await abortUpstream.close();
    }
  }
  if (runs("requests")) {
    const urls = Object.fromEntries(
      endpoints.map((id) => [id, endpointURLs[id]]).filter(([, url]) => url !== undefined),
    );
    requestSamples = await measureRequestCost(requestConfig, urls, failures);
  }
  if (runs("concurrency")) {
    for (const config of concurrencyConfigs) {
      for (let round = 1; round <= rounds; round += 1) {
        const order = round % 2 === 1 ? endpoints : [...endpoints].reverse();
        for (const id of order) {
          const label = `${ENDPOINT_LABELS[id]}${rounds > 1 ? `, round ${round} of ${rounds}` : ""}${fresh ? ", fresh process" : ""}${id === "ours" && build === "dist" ? ", dist/" : ""}`;
          let result: ConcurrencyResult;
          if (fresh) {
            result = await measureConcurrencyFresh(id, config, label, build);
          } else {
            // The previous run's upstream connections gone first, so no run inherits another's load.
            await upstream.idle(10_000);
            result = await measureConcurrency(config, endpointURLs[id] as string, upstream, label);
          }
          concurrencyRuns.push({ endpoint: id, round, fresh, build, result });
          if (result.failed > 0) {
            failures.push(
              `concurrency, ${label}: ${result.failed} of ${result.streams} streams incomplete or failed`,
              ...result.failures,
            );
          }
        }
      }
    }
  }
} finally {
  await endpoint.close();
  await floor?.close();
  await rawOpenAI?.close();
  await upstream.close();
}

const figures = summariseThroughput(
  throughput.flatMap((t) => t.samples),
  VARIANTS,
);
const abortFigures = summariseAbort(abortSamples);
const requestFigures = summariseRequestCost(requestSamples);
/** The largest N's run of an endpoint: what the targets (about 1,000 streams) are checked against. */
const largest = (id: EndpointId) => concurrencyRuns.findLast((r) => r.endpoint === id)?.result;
const concurrency = largest("ours");
const concurrencyFloor = largest("floor");
const concurrencyRawOpenAI = largest("raw-openai");
const targetChecks = checkTargets(
  figures,
  abortFigures,
  concurrency,
  concurrencyFloor,
  concurrencyRawOpenAI,
);
const machine = describeMachine(wakeCostUs);

const report = renderReport({
  machine,
  quick,
  throughput: throughput.map(({ config }) => ({
    config,
    figures: figures.filter((f) => f.mode === config.mode),
  })),
  variants: VARIANTS,
  aborts: abortFigures,
  concurrency: concurrencyRuns,
  targets: targetChecks,
  failures,
  clockUncertaintyMs: abortClock,
});

const requestReport = requestCostSection(requestFigures, requestConfig);

// A partial or quick run must not overwrite the full run's results.
const suffix = quick ? ".quick" : only !== undefined ? ".partial" : "";
const chartTitles = Object.fromEntries(
  throughputConfigs.map((c) => [
    c.mode,
    c.mode === "flat"
      ? `Flat out: ${c.workload.tokens} tokens per request`
      : `Paced: ${c.workload.tokens} tokens, ${c.workload.delayMs} ms before each`,
  ]),
);
await writeFile(here(`cpu-per-token${suffix}.svg`), renderCpuChart(figures, VARIANTS, chartTitles));
await writeFile(
  here(`results${suffix}.json`),
  `${JSON.stringify(
    {
      machine,
      quick,
      config: {
        throughput: throughputConfigs,
        abort: abortConfig,
        concurrency: {
          ...concurrencyConfigs.at(-1),
          streamCounts,
          endpoints,
          rounds,
          fresh,
          build,
        },
      },
      throughput: { figures, samples: throughput.flatMap((t) => t.samples) },
      abort: { figures: abortFigures, samples: abortSamples, clockUncertaintyMs: abortClock },
      requests: { figures: requestFigures, samples: requestSamples },
      // Ours, the floor and the raw-openai route at the largest N (its last round); every run (a
      // sweep, every endpoint, every round) in concurrencyRuns.
      concurrency,
      concurrencyFloor,
      concurrencyRawOpenAI,
      concurrencyRuns,
      targets: targetChecks,
      failures,
    },
    null,
    2,
  )}\n`,
);

// Written with a callback: a pipe's write is asynchronous, and exit would cut the report short.
const printed = requestReport === "" ? report : `${report}\n${requestReport}\n`;
await new Promise<void>((resolve) => process.stdout.write(printed, () => resolve()));
// Exit now rather than wait out fetch's idle keep-alive sockets.
process.exit(failures.length > 0 ? 1 : 0);
