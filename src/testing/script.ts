/**
 * What the testing server answers, as data: the script of one answer, the server's options (a
 * default script plus settings), and the request a per-request script is chosen from.
 *
 * @packageDocumentation
 */

/**
 * What the server answers to one completion request. Every field is optional; the fault fields only
 * apply to streamed answers unless said otherwise. A fault threshold past the last token fires
 * right after the last token. When several are due after the same token, `inject` goes first (its
 * bytes are written; only with `after: "continue"` does anything follow them), then
 * `dropAfterTokens` wins over `malformedAfterTokens`, which wins over `errorChunkAfterTokens`,
 * which wins over `stallAfterTokens`. `stallBeforeHeaders` wins over everything, `status` included.
 *
 * @example
 * ```ts
 * const script: TestingScript = { tokens: ["Hel", "lo"], delayMs: 20, dropAfterTokens: 1 };
 * ```
 */
export interface TestingScript {
  /**
   * Tokens to answer with. A function receives the recorded request.
   *
   * @defaultValue the prompt echoed back word by word — the completions `prompt` (or its first
   * element) or the content of the last chat message — each token a word with its leading
   * whitespace, so that `"hello big world"` gives `["hello", " big", " world"]` and the tokens
   * concatenate to the prompt exactly
   *
   * A token may be half a character: `["\ud83c", "\udf89"]` (🎉 split between its UTF-16
   * surrogates) travels as the JSON escapes `"\ud83c"` and `"\udf89"`, so a client receives the
   * two halves in two separate chunks, as from a model server whose tokenizer split the emoji.
   */
  tokens?: string[] | ((request: RecordedRequest) => string[]);
  /**
   * Delay before each token, in milliseconds; a non-streamed answer waits for all of them. A
   * function gets the 0-based index of the token about to be sent, e.g. `(i) => (i === 0 ? 0 : 5000)`
   * for a first token at once and then a stall.
   *
   * @defaultValue `0`
   */
  delayMs?: number | ((index: number) => number);
  /**
   * Answer with this HTTP status and an OpenAI-style error body
   * `{"error":{"message","type","code"}}` instead of a completion. Note that the `openai` client
   * retries 408, 409, 429 and 5xx answers unless it is built with `maxRetries: 0`.
   *
   * @defaultValue `undefined` (answer normally)
   */
  status?: number;
  /**
   * Close the connection after this many tokens: no finish chunk, no `[DONE]`, no end of the chunked
   * body. Applies to non-streamed answers too (the connection closes before any response).
   *
   * @defaultValue `undefined`
   */
  dropAfterTokens?: number;
  /**
   * After this many tokens send `data: {not json`, then end the response.
   *
   * @defaultValue `undefined`
   */
  malformedAfterTokens?: number;
  /**
   * After this many tokens send `data: {"error":{"message":"…","type":"server_error"}}`, then end
   * the response.
   *
   * @defaultValue `undefined`
   */
  errorChunkAfterTokens?: number;
  /**
   * Never report a `finish_reason`: the stream has no final chunk, a non-streamed answer has
   * `finish_reason: null`.
   *
   * @defaultValue `false`
   */
  omitFinishReason?: boolean;
  /**
   * Leave out `data: [DONE]`.
   *
   * @defaultValue `false`
   */
  omitDone?: boolean;
  /**
   * Write every SSE event in pieces of at most this many bytes, with a short pause between them, so
   * that multibyte UTF-8 characters are split across network chunks.
   *
   * @defaultValue `undefined` (one write per event)
   */
  byteChunkSize?: number;
  /**
   * `finish_reason` of the final chunk or of the answer.
   *
   * @defaultValue `"stop"`
   */
  finishReason?: string;
  /**
   * Send the headers and this many tokens, then nothing more — no finish chunk, no `[DONE]`, no end
   * of the body — and keep the connection open until the client goes away or the server closes.
   * No timer ends the stall: it waits on the request's abort signal alone, so a client's
   * disconnect or `close()` leaves nothing pending. `0` sends the headers and nothing else (not
   * even a chat answer's role chunk). A non-streamed answer generates this many tokens (with their
   * delays) and then never answers: no status line, no headers.
   *
   * @defaultValue `undefined` (no stall)
   */
  stallAfterTokens?: number;
  /**
   * Read the request, then send nothing at all — not even the status line — until the client goes
   * away or the server closes, as a model server that accepted the connection and hung. Streamed
   * or not, whatever else the script says.
   *
   * @defaultValue `false`
   */
  stallBeforeHeaders?: boolean;
  /**
   * Streamed answers only: after `afterTokens` tokens, write `bytes` into the body as they are —
   * not framed as an event, not JSON-encoded; a string goes out as UTF-8 — e.g. `"data: {not
   * json\n\n"`, or `"data: " + "x".repeat(16 * 2 ** 20)` with no line break to try a client's
   * line limit. The bytes go out in writes of 64 KiB (of `byteChunkSize`, with its pauses, when
   * set), each after the socket took the last, so a client that stops reading stops the server.
   * Then `after` says what follows: `"continue"` the normal answer (any fault due after the same
   * token included), `"end"` the body cleanly, or `"stall"` as {@link stallAfterTokens} does.
   *
   * @defaultValue `undefined` (nothing injected); `after` defaults to `"continue"`
   * @example
   * ```ts
   * const script: TestingScript = { inject: { afterTokens: 1, bytes: "data: {oops\n\n", after: "end" } };
   * ```
   */
  inject?: {
    /** Tokens sent before the bytes; past the last token means right after it. */
    afterTokens: number;
    bytes: string | Uint8Array;
    after?: "continue" | "end" | "stall";
  };
}

/**
 * Options of {@link startOpenAICompatibleServer}: a default script plus server settings.
 *
 * @example
 * ```ts
 * const options: TestingServerOptions = {
 *   apiKey: "test-key",
 *   script: (request) => (request.path.endsWith("/chat/completions") ? { status: 429 } : {}),
 * };
 * ```
 */
export interface TestingServerOptions extends TestingScript {
  /**
   * Per-request script, merged over the options (fields left `undefined` keep the option's value).
   *
   * @defaultValue `undefined`
   */
  script?: (request: RecordedRequest) => TestingScript;
  /**
   * Require `Authorization: Bearer <apiKey>`; other requests get a 401 with an OpenAI-style error
   * body that never repeats the key presented.
   *
   * @defaultValue `undefined` (no authentication)
   */
  apiKey?: string;
  /**
   * Port to listen on; the host is always 127.0.0.1.
   *
   * @defaultValue `0` (any free port)
   */
  port?: number;
}

/**
 * One request as the server received it, whatever its route or outcome.
 *
 * @example
 * ```ts
 * expect(server.requests[0]).toMatchObject({ path: "/v1/completions", body: { stream: true } });
 * ```
 */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** As received: lower-case names, `authorization` included. */
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body; `undefined` when there was none or it was not JSON. */
  body: unknown;
}

/**
 * The script for one request: the options, overridden by every field the per-request script sets
 * (a field left `undefined` keeps the option's value; an object field such as `inject` is replaced
 * whole, not merged).
 *
 * @param options - the server's options, a default script
 * @param overrides - what `options.script` returned for this request
 * @example
 * ```ts
 * mergeScript({ tokens: ["a"], delayMs: 5 }, { delayMs: undefined, status: 500 }); // delayMs 5, status 500
 * ```
 */
export function mergeScript(
  options: TestingServerOptions,
  overrides: TestingScript | undefined,
): TestingScript {
  const merged: TestingScript = { ...options };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value !== undefined) Object.assign(merged, { [key]: value });
  }
  return merged;
}
