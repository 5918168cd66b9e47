/**
 * The streaming half of the testing server: OpenAI `text/event-stream` chunks, written token by
 * token with the scripted delays and faults.
 *
 * @packageDocumentation
 */

import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { delayBefore, faultAt } from "./faults.js";
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

  if (generation.kind === "chat") {
    await send(chunk(generation, { role: "assistant", content: "" }, null));
  }
  for (let written = 0; ; written++) {
    const fault = faultAt(script, written, tokens.length);
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
  const size =
    byteChunkSize !== undefined && byteChunkSize >= 1 ? Math.floor(byteChunkSize) : bytes.length;
  for (let start = 0; start < bytes.length; start += size) {
    if (start > 0) await sleep(BYTE_PAUSE_MS, undefined, { signal });
    signal.throwIfAborted();
    if (!res.write(bytes.subarray(start, start + size))) await once(res, "drain", { signal });
  }
}
