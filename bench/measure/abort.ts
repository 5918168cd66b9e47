/**
 * Abort latency: from the consumer's `break` (or `signal.abort()`) to the upstream seeing its
 * socket close, against an upstream that sends one token and then waits 5 s before the next.
 * The close is timed in the upstream child and brought onto our clock (see `upstream/process.ts`).
 *
 * @packageDocumentation
 */

import { setImmediate as tick } from "node:timers/promises";
import { completion, isCompletionError } from "../../src/index.js";
import { describeError } from "../shared/describe-error.js";
import { benchRegistry, KINDS, type Kind, MODEL_ID } from "../subjects/request-settings.js";
import { benchModel } from "../subjects/variants.js";
import type { UpstreamProcess } from "../upstream/process.js";
import { epochMs } from "../upstream/protocol.js";
import { workloadPrompt } from "../upstream/workload.js";

/** The upstream's gap between the first and the second token. */
export const STALL_MS = 5_000;
/** How long to wait for a close before reporting "at least this long". */
export const CAP_MS = 5_500;
/** Three tokens, so that the second one does not end the response: only an abort closes it early. */
const PROMPT = workloadPrompt({ tokens: 3, delayMs: 0, stallMs: STALL_MS });

export type Trigger = "break" | "abort";

/** Something whose stream we abort. */
interface Subject {
  id: keyof typeof SUBJECT_LABELS;
  open(kind: Kind, signal: AbortSignal | undefined): Promise<AsyncIterable<unknown>>;
}

export interface AbortConfig {
  reps: number;
  /**
   * Samples of LangChain's `break`, which takes the whole stall (5 s each): a few show "waits for
   * the next token" well enough.
   */
  langchainBreakReps: number;
}

export interface AbortSample {
  subject: string;
  kind: Kind;
  trigger: Trigger;
  rep: number;
  /** Trigger to socket close, ms; `null` when it had not closed after {@link CAP_MS}. */
  latencyMs: number | null;
  /** Trigger to the consumer's loop having finished (returned or thrown), ms. */
  settledMs: number;
  /** How the consumer's loop ended: `returned`, or the error's code or name. */
  outcome: string;
}

/** What the report calls each subject. */
export const SUBJECT_LABELS = {
  completion: "completion({ stream: true })",
  langchain: "LangChain model .stream()",
} as const;

const subjects = (upstreamURL: string): Subject[] => [
  {
    id: "completion",
    open: async (kind, signal) =>
      completion({
        query: PROMPT,
        stream: true,
        model: MODEL_ID[kind],
        models: benchRegistry(upstreamURL),
        ...(signal === undefined ? {} : { signal }),
      }),
  },
  {
    id: "langchain",
    open: (kind, signal) =>
      benchModel(kind, upstreamURL).stream(PROMPT, signal === undefined ? {} : { signal }),
  },
];

/**
 * Times every subject × kind × trigger, `reps` times each.
 *
 * @param failures - receives a line when completion() does not end an aborted stream with `aborted`
 */
export async function measureAbort(
  config: AbortConfig,
  upstream: UpstreamProcess,
  failures: string[],
): Promise<AbortSample[]> {
  const samples: AbortSample[] = [];
  for (let rep = 0; rep < config.reps; rep++) {
    process.stderr.write(`  abort: round ${rep + 1}/${config.reps}\n`);
    for (const subject of subjects(upstream.url)) {
      for (const kind of KINDS) {
        for (const trigger of ["break", "abort"] as const) {
          const slow = subject.id === "langchain" && trigger === "break";
          if (slow && rep >= config.langchainBreakReps) continue;
          const where = `abort ${subject.id} ${kind} ${trigger}`;
          try {
            if (!(await upstream.idle(3 * STALL_MS))) throw new Error("upstream never went idle");
            const sample = await timeOnce(subject, kind, trigger, upstream);
            samples.push({ ...sample, subject: subject.id, kind, trigger, rep });
            if (
              subject.id === "completion" &&
              trigger === "abort" &&
              sample.outcome !== "aborted"
            ) {
              failures.push(
                `${where}: ended with ${sample.outcome}, not a CompletionError "aborted"`,
              );
            }
          } catch (error) {
            failures.push(`${where}: ${describeError(error)}`);
          }
        }
      }
    }
  }
  return samples;
}

async function timeOnce(
  subject: Subject,
  kind: Kind,
  trigger: Trigger,
  upstream: UpstreamProcess,
): Promise<Pick<AbortSample, "latencyMs" | "settledMs" | "outcome">> {
  const controller = trigger === "abort" ? new AbortController() : undefined;
  const stream = await subject.open(kind, controller?.signal);
  let onFirst: (mark: { watch: number; at: number }) => void = () => {};
  const first = new Promise<{ watch: number; at: number }>((resolve) => {
    onFirst = resolve;
  });
  const loop = (async () => {
    let seen = false;
    for await (const _ of stream) {
      if (seen) continue;
      seen = true;
      // Armed while the upstream stalls, so the watch is in place before anything closes.
      const watch = await upstream.arm();
      if (trigger === "break") {
        onFirst({ watch, at: epochMs() });
        break;
      }
      onFirst({ watch, at: Number.NaN });
    }
  })();
  const settled = loop.then(
    () => ({ at: epochMs(), outcome: "returned" }),
    (error: unknown) => ({ at: epochMs(), outcome: outcomeOf(error) }),
  );
  const mark = await Promise.race([first, settled.then(() => undefined)]);
  if (mark === undefined) throw new Error(`the stream ended before its first token`);
  let at = mark.at;
  if (controller !== undefined) {
    // Let the loop go back to waiting for the next token: the abort should find it waiting.
    await tick();
    at = epochMs();
    controller.abort();
  }
  const closedAt = await upstream.closedAt(mark.watch, CAP_MS);
  const latency = closedAt === null ? null : closedAt - at;
  const end = await settled;
  return {
    latencyMs: latency === null || latency > CAP_MS ? null : latency,
    settledMs: end.at - at,
    outcome: end.outcome,
  };
}

function outcomeOf(error: unknown): string {
  if (isCompletionError(error)) return error.code;
  return error instanceof Error ? error.name : describeError(error);
}
