/**
 * The streaming half of the testing server: OpenAI `text/event-stream` chunks, written token by
 * token with the scripted delays and faults.
 *
 * @packageDocumentation
 */

import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { delayBefore, faultAt, injectionAt, stall } from "./faults.js";
import type { TestingScript } from "./script.js";

/**
 * Everything one answer is made of, resolved from the request and its script before the first byte
 * is written.
 */
export interface Generation {
  /** `completion` for `/v1/completions`, `chat` for `/v1/chat/completions`. */
  kind: "completion" | "chat";
  /** Shared by every chunk of one answer, as OpenAI does. */
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
  tokens: string[];
  /** The options merged with the per-request script. */
  script: TestingScript;
  /** `stream_options.include_usage` was `true`. */
  includeUsage: boolean;
  promptTokens: number;
  /** Aborted when the client goes away or the server closes; every wait listens to it. */
  signal: AbortSignal;
  /** Called once per token generated, for `tokensSent()`. */
  onToken: () => void;
}

/**
 * Pause between two partial writes of one event, so that each part reaches the client as its own
 * network chunk instead of being read together with the next one.
 */
const BYTE_PAUSE_MS = 1;

/** Largest write of `inject.bytes` when `byteChunkSize` does not say. */
const INJECT_PIECE_BYTES = 64 * 1024;

/**
 * Writes a whole streamed answer in the OpenAI wire format: (for chat) a role chunk, one chunk per
 * token, a chunk with the `finish_reason`, an optional usage chunk with `choices: []`, then
 * `data: [DONE]` — minus whatever the script leaves out or breaks. Rejects with the abort reason
 * when `generation.signal` aborts; the caller treats that as "client gone".
 *
 * @param res - the response, headers not yet sent
 * @param generation - what to send
 * @example
 * ```ts
 * await writeStream(res, generation);
 * ```
 */
export async function writeStream(res: ServerResponse, generation: Generation): Promise<void> {
  const { script, tokens, signal } = generation;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  // Without this, Nagle's algorithm would glue the small partial writes back together.
  if (script.byteChunkSize) res.socket?.setNoDelay(true);
  // Headers go out now, so a client sees the 200 even when the first token is slow or never comes.
  res.flushHeaders();
  const send = (data: unknown) => writeEvent(res, data, script.byteChunkSize, signal);

  // stallAfterTokens: 0 means headers and then silence, for a chat answer too.
  const silent =
    faultAt(script, 0, tokens.length) === "stall" && !injectionAt(script, 0, tokens.length);
  if (generation.kind === "chat" && !silent) {
    await send(chunk(generation, { role: "assistant", content: "" }, null));
  }
  for (let written = 0; ; written++) {
    const injection = injectionAt(script, written, tokens.length);
    if (injection !== undefined) {
      await writeInjection(res, injection.bytes, script.byteChunkSize, signal);
      if (injection.after === "end") {
        res.end();
        return;
      }
      if (injection.after === "stall") return stall(signal);
    }
    const fault = faultAt(script, written, tokens.length);
    if (fault === "stall") return stall(signal);
    if (fault === "drop") {
      // Flush what was written, then close without the final chunk of the chunked encoding: the
      // client sees a body that breaks off mid-stream.
      res.socket?.destroySoon();
      return;
    }
    if (fault === "malformed") {
      await send("{not json");
      res.end();
      return;
    }
    if (fault === "error") {
      await send({
        error: {
          message: "The server had an error while processing your request.",
          type: "server_error",
        },
      });
      res.end();
      return;
    }
    const token = tokens[written];
    if (token === undefined) break;
    await delayBefore(script, written, signal);
    await send(chunk(generation, generation.kind === "chat" ? { content: token } : token, null));
    generation.onToken();
  }
  if (!script.omitFinishReason) {
    const reason = script.finishReason ?? "stop";
    await send(chunk(generation, generation.kind === "chat" ? {} : "", reason));
  }
  if (generation.includeUsage) await send(usageChunk(generation));
  if (!script.omitDone) await send("[DONE]");
  res.end();
}

/**
 * Token counts for the `usage` field: prompt words in, tokens out.
 *
 * @param generation - the answer
 * @example
 * ```ts
 * usage(generation); // { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 }
 * ```
 */
export function usage(generation: Generation) {
  const completionTokens = generation.tokens.length;
  return {
    prompt_tokens: generation.promptTokens,
    completion_tokens: completionTokens,
    total_tokens: generation.promptTokens + completionTokens,
  };
}

/** One stream chunk; `content` is the chat `delta` or the completion `text`. */
function chunk(generation: Generation, content: string | object, finishReason: string | null) {
  const { id, created, model } = generation;
  if (generation.kind === "chat") {
    const choice = { index: 0, delta: content, logprobs: null, finish_reason: finishReason };
    return { id, object: "chat.completion.chunk", created, model, choices: [choice] };
  }
  const choice = { text: content, index: 0, logprobs: null, finish_reason: finishReason };
  return { id, object: "text_completion", created, model, choices: [choice] };
}

function usageChunk(generation: Generation) {
  const { id, created, model } = generation;
  const object = generation.kind === "chat" ? "chat.completion.chunk" : "text_completion";
  return { id, object, created, model, choices: [], usage: usage(generation) };
}

/**
 * Writes `data: <data>\n\n`, in writes of at most `byteChunkSize` bytes when set, honouring
 * back-pressure. Strings are sent verbatim (`[DONE]`, broken JSON); anything else as JSON.
 */
async function writeEvent(
  res: ServerResponse,
  data: unknown,
  byteChunkSize: number | undefined,
  signal: AbortSignal,
): Promise<void> {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  const bytes = Buffer.from(`data: ${text}\n\n`, "utf8");
  const piece = pieceSize(byteChunkSize);
  return writeBytes(
    res,
    bytes,
    piece ?? bytes.length,
    piece === undefined ? 0 : BYTE_PAUSE_MS,
    signal,
  );
}

/**
 * Writes `inject.bytes` as they are. In pieces even without `byteChunkSize`, so that a client that
 * stops reading holds the server back to a piece plus the socket buffers, as a real server's
 * would be (one 16 MiB `write` would be taken whole into Node's buffer).
 */
function writeInjection(
  res: ServerResponse,
  bytes: string | Uint8Array,
  byteChunkSize: number | undefined,
  signal: AbortSignal,
): Promise<void> {
  const raw = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
  const piece = pieceSize(byteChunkSize);
  return writeBytes(
    res,
    raw,
    piece ?? INJECT_PIECE_BYTES,
    piece === undefined ? 0 : BYTE_PAUSE_MS,
    signal,
  );
}

/** `byteChunkSize` as a whole number of bytes, or `undefined` when it asks for no splitting. */
function pieceSize(byteChunkSize: number | undefined): number | undefined {
  return byteChunkSize !== undefined && byteChunkSize >= 1 ? Math.floor(byteChunkSize) : undefined;
}

/** Writes `bytes` in pieces, `pauseMs` apart, each after the socket took the last (`drain`). */
async function writeBytes(
  res: ServerResponse,
  bytes: Uint8Array,
  piece: number,
  pauseMs: number,
  signal: AbortSignal,
): Promise<void> {
  for (let start = 0; start < bytes.length; start += piece) {
    if (start > 0 && pauseMs > 0) await sleep(pauseMs, undefined, { signal });
    signal.throwIfAborted();
    if (!res.write(bytes.subarray(start, start + piece))) await once(res, "drain", { signal });
  }
}
