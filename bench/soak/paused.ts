/**
 * Soak part (b): how much does an endpoint hold for a client that stops reading? One streamed
 * answer of ~100 MB; the client reads the first few KB, then stops (the response paused, so TCP
 * pushes back) until the upstream stops sending or a time limit passes. Then the endpoint child's
 * post-GC heap and RSS over its idle baseline, and what the upstream had sent by then; then the
 * client reads on and checks the whole answer: every byte, in order (SHA-256).
 *
 * @packageDocumentation
 */

import { createHash } from "node:crypto";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { createParser } from "eventsource-parser";
import { MODEL_ID } from "../subjects/request-settings.js";
import type { UpstreamProcess } from "../upstream/process.js";
import { tokenAt, type Workload, workloadPrompt } from "../upstream/workload.js";
import { startSoakEndpoint } from "./endpoint-process.js";
import type { MemorySample, SoakEndpointId } from "./protocol.js";
import { sendSoakRequest, soakKindAt } from "./requests.js";

export interface PausedConfig {
  tokens: number;
  /** UTF-8 bytes per token: `tokens × tokenBytes` is the answer's size. */
  tokenBytes: number;
  /** The client reads this much of the body before it pauses. */
  readBeforePause: number;
  /** The pause lasts at least this long… */
  minPauseMs: number;
  /** …and ends once the upstream has sent nothing for this long… */
  quietMs: number;
  /** …or after this long at most. */
  maxPauseMs: number;
}

export interface PausedResult {
  endpoint: SoakEndpointId;
  config: PausedConfig;
  /** The idle endpoint child, after a few small requests. */
  baseline: MemorySample;
  /** The endpoint child at the end of the pause. */
  paused: MemorySample;
  /** Body bytes and tokens the upstream had sent for this answer by the end of the pause. */
  upstreamBytesPaused: number;
  upstreamTokensPaused: number;
  /** Body bytes the upstream sent for the whole answer (its JSON chunks are larger than the text). */
  upstreamBytesTotal: number;
  /** Body bytes the client had read when it paused. */
  clientBytesBeforePause: number;
  pausedMs: number;
  /** Text bytes and events the client received in all, and whether the text hashed as expected. */
  receivedTextBytes: number;
  receivedEvents: number;
  expectedTextBytes: number;
  intact: boolean;
  /** Why the answer is not intact, if it is not. */
  failure?: string;
  /** From resuming to the end of the body. */
  drainMs: number;
}

/** The SHA-256 and UTF-8 size of the answer the upstream sends. */
function expectedDigest(workload: Workload): { sha256: string; bytes: number } {
  const hash = createHash("sha256");
  let bytes = 0;
  for (let index = 0; index < workload.tokens; index++) {
    const token = tokenAt(index, workload.tokenBytes);
    hash.update(token);
    bytes += Buffer.byteLength(token);
  }
  return { sha256: hash.digest("hex"), bytes };
}

function post(url: string, body: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${url}/other/completion`,
      { method: "POST", headers: { "content-type": "application/json" } },
      resolve,
    );
    request.on("error", reject);
    request.end(body);
  });
}

/**
 * Measures one paused ~`tokens × tokenBytes` answer through a fresh endpoint child.
 *
 * @param endpoint - `ours` or `floor`
 * @param upstream - the upstream child, for its `bytesSent` and `tokensSent`
 * @example
 * ```ts
 * const result = await measurePaused("ours", upstream, { tokens: 100_000, tokenBytes: 1024, readBeforePause: 4096, minPauseMs: 3000, quietMs: 1000, maxPauseMs: 60000 });
 * ```
 */
export async function measurePaused(
  endpoint: SoakEndpointId,
  upstream: UpstreamProcess,
  config: PausedConfig,
): Promise<PausedResult> {
  const workload: Workload = { tokens: config.tokens, delayMs: 0, tokenBytes: config.tokenBytes };
  const expected = expectedDigest(workload);
  const child = await startSoakEndpoint(endpoint, upstream.url);
  try {
    // A few whole cycles of the soak mix, so the baseline has every module loaded and pool filled.
    for (let index = 0; index < 24; index++) await sendSoakRequest(child.url, soakKindAt(index));
    await sleep(200);
    const baseline = await child.memory();
    const before = await upstream.stats();

    const body = JSON.stringify({
      query: workloadPrompt(workload),
      model_name: MODEL_ID.completion,
      stream: true,
    });
    const response = await post(child.url, body);
    const hash = createHash("sha256");
    let receivedTextBytes = 0;
    let receivedEvents = 0;
    let errorFrame: string | undefined;
    const parser = createParser({
      onEvent(event) {
        if (event.event === "error") errorFrame = event.data;
        receivedEvents += 1;
        hash.update(event.data);
        receivedTextBytes += Buffer.byteLength(event.data);
      },
    });
    const decoder = new TextDecoder();
    let clientBytes = 0;
    let clientBytesBeforePause = 0;
    /** Resolves with why the body did not end properly, or `undefined` when it did. */
    const ended = new Promise<string | undefined>((resolve) => {
      response.on("end", () => resolve(undefined));
      response.on("error", (error) => resolve(`the body failed: ${error.message}`));
      response.on("close", () => resolve(response.complete ? undefined : "the body broke off"));
    });
    const reachedPause = new Promise<void>((resolve) => {
      response.on("data", (chunk: Buffer) => {
        clientBytes += chunk.byteLength;
        parser.feed(decoder.decode(chunk, { stream: true }));
        if (clientBytesBeforePause === 0 && clientBytes >= config.readBeforePause) {
          clientBytesBeforePause = clientBytes;
          response.pause();
          resolve();
        }
      });
    });
    await Promise.race([reachedPause, ended]);

    // Paused: wait until the upstream stops sending (TCP pushed back all the way) or time is up.
    const pauseStarted = performance.now();
    let last = before.bytesSent;
    let lastChange = pauseStarted;
    for (;;) {
      await sleep(250);
      const now = performance.now();
      const { bytesSent } = await upstream.stats();
      if (bytesSent !== last) {
        last = bytesSent;
        lastChange = now;
      }
      const quiet = now - lastChange >= config.quietMs;
      if (now - pauseStarted >= config.maxPauseMs) break;
      if (now - pauseStarted >= config.minPauseMs && quiet) break;
    }
    const paused = await child.memory();
    const atPause = await upstream.stats();
    const pausedMs = performance.now() - pauseStarted;

    const resumed = performance.now();
    response.resume();
    const broken = await ended;
    parser.feed(decoder.decode());
    const drainMs = performance.now() - resumed;
    const after = await upstream.stats();

    const sha256 = hash.digest("hex");
    const failure =
      response.statusCode !== 200
        ? `HTTP ${response.statusCode}`
        : broken !== undefined
          ? broken
          : errorFrame !== undefined
            ? `the endpoint sent event: error ${errorFrame}`
            : receivedTextBytes !== expected.bytes
              ? `received ${receivedTextBytes} text bytes of ${expected.bytes}`
              : sha256 !== expected.sha256
                ? "the text arrived whole in size but not in content or order (SHA-256 differs)"
                : undefined;
    return {
      endpoint,
      config,
      baseline,
      paused,
      upstreamBytesPaused: atPause.bytesSent - before.bytesSent,
      upstreamTokensPaused: atPause.tokensSent - before.tokensSent,
      upstreamBytesTotal: after.bytesSent - before.bytesSent,
      clientBytesBeforePause,
      pausedMs,
      receivedTextBytes,
      receivedEvents,
      expectedTextBytes: expected.bytes,
      intact: failure === undefined,
      ...(failure === undefined ? {} : { failure }),
      drainMs,
    };
  } finally {
    await child.close();
  }
}
