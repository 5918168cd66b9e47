/**
 * CPU per token, tokens per second and time to first token of each variant, sampled interleaved
 * (A B C … A B C …) so that drift of the machine over the run lands on every variant alike.
 *
 * @packageDocumentation
 */

import { describeError } from "../shared/describe-error.js";
import { KINDS, type Kind } from "../subjects/request-settings.js";
import type { StreamOnce, Targets, Variant } from "../subjects/variants.js";
import { expectedText, type Workload, workloadPrompt } from "../upstream/workload.js";

/** One mode of the throughput run. */
export interface ThroughputConfig {
  /** `flat` (as fast as the upstream can send) or `paced` (a fixed delay per token). */
  mode: "flat" | "paced";
  workload: Workload;
  /** Measured rounds. */
  reps: number;
  /** Unrecorded rounds first, so the JIT has compiled the hot paths of every variant. */
  warmup: number;
}

/** One request of one variant. */
export interface ThroughputSample {
  mode: ThroughputConfig["mode"];
  variant: string;
  kind: Kind;
  rep: number;
  /** Tokens the upstream sent; the CPU figure is divided by this. */
  tokens: number;
  /** User + system CPU of this process during the request, µs. */
  cpuUs: number;
  cpuUsPerToken: number;
  wallMs: number;
  tokensPerSecond: number;
  /** From starting the request to the first token, ms. */
  ttftMs: number;
}

/**
 * Runs every variant for both kinds, `warmup + reps` rounds.
 *
 * @param failures - receives one line per request that failed or arrived incomplete
 */
export async function measureThroughput(
  config: ThroughputConfig,
  variants: readonly Variant[],
  targets: Targets,
  failures: string[],
): Promise<ThroughputSample[]> {
  const prompt = workloadPrompt(config.workload);
  const expected = expectedText(config.workload);
  const runs = variants.flatMap((variant) =>
    KINDS.map((kind) => ({ variant, kind, stream: variant.prepare(kind, targets) })),
  );
  const samples: ThroughputSample[] = [];
  for (let round = 0; round < config.warmup + config.reps; round++) {
    const rep = round - config.warmup;
    process.stderr.write(
      `  ${config.mode}: ${rep < 0 ? `warm-up ${round + 1}/${config.warmup}` : `round ${rep + 1}/${config.reps}`}\n`,
    );
    for (const kind of KINDS) {
      for (const run of runs) {
        if (run.kind !== kind) continue;
        const where = `${config.mode} ${run.variant.id} ${kind}`;
        try {
          const sample = await sampleOnce(run.stream, prompt);
          if (sample.text !== expected) {
            failures.push(
              `${where}: incomplete stream, ${sample.text.length} of ${expected.length} characters`,
            );
            continue;
          }
          if (rep < 0) continue;
          const { cpuUs, wallMs, ttftMs } = sample;
          const tokens = config.workload.tokens;
          samples.push({
            mode: config.mode,
            variant: run.variant.id,
            kind,
            rep,
            tokens,
            cpuUs,
            cpuUsPerToken: cpuUs / tokens,
            wallMs,
            tokensPerSecond: tokens / (wallMs / 1000),
            ttftMs,
          });
        } catch (error) {
          failures.push(`${where}: ${describeError(error)}`);
        }
      }
    }
  }
  return samples;
}

async function sampleOnce(stream: StreamOnce, prompt: string) {
  let text = "";
  let first = Number.NaN;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await stream(prompt, (token) => {
    if (text === "") first = performance.now();
    text += token;
  });
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  // The text is checked by the caller, after the clocks stop: comparing it is not the client's cost.
  return { text, cpuUs: used.user + used.system, wallMs, ttftMs: first - start };
}
