/**
 * The concurrency run's clients, as a child process (`fork` with an IPC channel): N `fetch` +
 * eventsource-parser streams against the endpoint, started over a ramp, each checked against the
 * expected text, their inter-token gaps and times to first token summarised here and only the
 * summaries sent back. Started by `measure.ts`; not meant to be run by hand.
 *
 * @packageDocumentation
 */

import { describeError } from "../shared/describe-error.js";
import { spread, tailSummary } from "../shared/stats.js";
import { streamEndpoint } from "../subjects/sse-client.js";
import { expectedText, type Workload, workloadPrompt } from "../upstream/workload.js";
import type {
  ClientsConfig,
  ClientsReady,
  ClientsReply,
  ClientsRequest,
  ClientsResult,
} from "./protocol.js";

const send = process.send?.bind(process);
if (send === undefined) {
  process.stderr.write(
    "bench/concurrency/clients-child.ts is started by the benchmark over IPC; run `npm run bench`\n",
  );
  process.exit(2);
}
const reply = (message: ClientsReply) => send(message);

// The benchmark gone (finished, crashed or killed) closes the channel: no orphaned clients.
process.on("disconnect", () => process.exit(0));

async function warmup(config: ClientsConfig): Promise<void> {
  const query = workloadPrompt({ tokens: 20, delayMs: 0 });
  await Promise.all(
    Array.from({ length: Math.min(50, config.streams) }, () =>
      streamEndpoint({
        baseURL: config.endpointURL,
        query,
        model: config.model,
        onToken: () => {},
      }),
    ),
  );
}

async function run(config: ClientsConfig): Promise<ClientsResult> {
  const workload: Workload = { tokens: config.tokens, delayMs: config.delayMs, track: true };
  const query = workloadPrompt(workload);
  const expected = expectedText(workload);
  // Preallocated: a million boxed numbers would cost far more memory and GC time.
  const gaps = new Float64Array(config.streams * Math.max(0, config.tokens - 1));
  const gapTimes = new Float64Array(gaps.length);
  let gapCount = 0;
  let lastFirstToken = 0;
  let firstEnd = Number.POSITIVE_INFINITY;
  const ttfts: number[] = [];
  const failures: string[] = [];
  let complete = 0;
  let failed = 0;

  // An overloaded server is slow, not broken: only a stream still open after ten times the
  // scripted time counts as stuck.
  const deadline = AbortSignal.timeout(
    10 * (config.rampMs + config.tokens * config.delayMs) + 60_000,
  );
  const started = performance.now();

  const client = async (index: number) => {
    await new Promise((resolve) => setTimeout(resolve, (index * config.rampMs) / config.streams));
    const start = performance.now();
    let last = Number.NaN;
    let offset = 0;
    let mismatch = false;
    try {
      await streamEndpoint({
        baseURL: config.endpointURL,
        query,
        model: config.model,
        signal: deadline,
        onToken: (token) => {
          const now = performance.now();
          if (offset === 0) {
            ttfts.push(now - start);
            lastFirstToken = Math.max(lastFirstToken, now);
          } else {
            gapTimes[gapCount] = now;
            gaps[gapCount++] = now - last - config.delayMs;
          }
          last = now;
          // Compared in place, no per-stream copy of the text: tokens must continue the answer.
          if (!mismatch && !expected.startsWith(token, offset)) mismatch = true;
          offset += token.length;
        },
      });
      if (mismatch || offset !== expected.length) {
        throw new Error(
          `got ${offset} of ${expected.length} characters${mismatch ? ", wrong text" : ""}`,
        );
      }
      complete++;
      firstEnd = Math.min(firstEnd, performance.now());
    } catch (error) {
      failed++;
      if (failures.length < 5) failures.push(`stream ${index}: ${describeError(error)}`);
    }
  };

  await Promise.all(Array.from({ length: config.streams }, (_, index) => client(index)));
  const wallMs = performance.now() - started;

  const steady: number[] = [];
  for (let index = 0; index < gapCount; index++) {
    const at = gapTimes[index] as number;
    if (at > lastFirstToken && at < firstEnd) steady.push(gaps[index] as number);
  }
  return {
    complete,
    failed,
    failures,
    addedGapMs: tailSummary(gaps.subarray(0, gapCount)),
    steadyAddedGapMs: tailSummary(steady),
    steadyWindowMs: { from: lastFirstToken - started, to: firstEnd - started },
    ttftMs: spread(ttfts),
    wallMs,
  };
}

process.on("message", (request: ClientsRequest) => {
  const answer =
    request.op === "warmup"
      ? warmup(request.config).then((): ClientsReply => ({ op: "warmed" }))
      : run(request.config).then((result): ClientsReply => ({ op: "result", result }));
  answer.then(reply, (error: unknown) => reply({ op: "error", error: describeError(error) }));
});

send({ ready: true } satisfies ClientsReady);
