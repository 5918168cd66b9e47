/**
 * The benchmark's upstream, run as a child process (`fork` with an IPC channel): the project's
 * testing server, answering each request with the workload its prompt asks for (see
 * `workload.ts`), plus a control channel for connection counts and close times. Started by
 * `process.ts`; not meant to be run by hand.
 *
 * @packageDocumentation
 */

import { startOpenAICompatibleServer, type TestingScript } from "../../src/testing/index.js";
import { answerRequests } from "../shared/server-child.js";
import { tailSummary } from "../shared/stats.js";
import { epochMs, type PacingSummary, type Request } from "./protocol.js";
import { parseWorkload, tokenAt, type Workload } from "./workload.js";

if (process.send === undefined) {
  process.stderr.write(
    "bench/upstream/child.ts is started by the benchmark over IPC; run `npm run bench`\n",
  );
  process.exit(2);
}

/**
 * Token arrays by length and token size: building 2,000 strings per request would cost the
 * upstream, not us. Long tokens cycle through 997 strings (see `tokenAt`), so even 100,000 of
 * them hold only their references.
 */
const answers = new Map<string, string[]>();
function tokensFor(count: number, tokenBytes?: number): string[] {
  const key = `${count} ${tokenBytes ?? ""}`;
  let tokens = answers.get(key);
  if (tokens === undefined) {
    tokens = Array.from({ length: count }, (_, index) => tokenAt(index, tokenBytes));
    answers.set(key, tokens);
  }
  return tokens;
}

/** Send-time gaps beyond the scripted delay, for `track` workloads. */
let lateness: number[] = [];

/**
 * A paced delay that records when it is asked for. The testing server asks for token i's delay
 * right after writing token i-1, so consecutive calls are the upstream's own send times: their
 * spacing minus the delay is the upstream's timer lag, which the client cannot be blamed for.
 */
function trackedDelay(delayMs: number): (index: number) => number {
  let previous = Number.NaN;
  return (index) => {
    const now = performance.now();
    if (index >= 2) lateness.push(now - previous - delayMs);
    previous = now;
    return delayMs;
  };
}

/** The completions `prompt`, or the text of the last chat message (string or content parts). */
function promptOf(body: unknown): string {
  const record = (body ?? {}) as { prompt?: unknown; messages?: unknown };
  const prompt = Array.isArray(record.prompt) ? record.prompt[0] : record.prompt;
  if (typeof prompt === "string") return prompt;
  const last = Array.isArray(record.messages) ? record.messages.at(-1) : undefined;
  const content = (last as { content?: unknown } | undefined)?.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("");
}

function scriptFor(workload: Workload): TestingScript {
  const { stallMs, delayMs } = workload;
  const delay =
    stallMs !== undefined
      ? (index: number) => (index === 0 ? 0 : stallMs)
      : workload.track
        ? trackedDelay(delayMs)
        : delayMs;
  if (workload.status !== undefined) return { status: workload.status };
  return {
    tokens: tokensFor(workload.tokens, workload.tokenBytes),
    delayMs: delay,
    ...(workload.dropAfter === undefined ? {} : { dropAfterTokens: workload.dropAfter }),
  };
}

const server = await startOpenAICompatibleServer({
  script: (request) => {
    const workload = parseWorkload(promptOf(request.body));
    // A 400 rather than an echo: a benchmark request without a workload is a bug in the bench.
    return workload === undefined ? { status: 400 } : scriptFor(workload);
  },
});

const watches = new Map<number, Promise<number>>();
let nextWatch = 0;

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

function pacing(): PacingSummary {
  const summary = tailSummary(lateness);
  lateness = [];
  return summary;
}

async function answer(request: Request): Promise<unknown> {
  switch (request.op) {
    case "now":
      return epochMs();
    case "stats":
      // The server keeps every request it saw; the benchmark never reads them, so let them go.
      server.requests.length = 0;
      return {
        openConnections: server.openConnections(),
        tokensSent: server.tokensSent(),
        bytesSent: server.bytesSent(),
      };
    case "arm": {
      const watch = nextWatch++;
      // Registered before the reply, so a close right after the benchmark hears back is seen.
      watches.set(
        watch,
        server.waitForConnections(0).then(() => epochMs()),
      );
      return watch;
    }
    case "closedAt": {
      const closed = watches.get(request.watch);
      if (closed === undefined) throw new Error(`no watch ${request.watch}`);
      const at = await withTimeout<number | null>(closed, request.timeoutMs, null);
      if (at !== null) watches.delete(request.watch);
      return at;
    }
    case "idle":
      return withTimeout(
        server.waitForConnections(0).then(() => true),
        request.timeoutMs,
        false,
      );
    case "pacing":
      return pacing();
    case "close":
      await server.close();
      return true;
  }
}

answerRequests(server.url, answer, () => {
  void server.close().finally(() => process.exit(0));
});
