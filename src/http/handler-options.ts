/**
 * What `createCompletionHandler` is given, and what it hands a transport and an access log.
 *
 * @packageDocumentation
 */

import type { ModelRegistry } from "../models.js";
import type { SseSession } from "./session.js";
import type { BodyDefaults } from "./validation.js";

/** Options of {@link createCompletionHandler}. */
export interface CompletionHandlerOptions {
  /** Model name → endpoint; the first entry is the default `model_name`. Clients may name only these. */
  models?: ModelRegistry;
  /** A directory overlaying the bundled `prompts/`. */
  promptsDir?: string;
  /** Defaults for absent body keys. @defaultValue the original's: temperature 0.7, max_tokens 1024, prompt_name "default" */
  defaults?: BodyDefaults;
  /** Milliseconds between `: ping` comments, from the start of the response. @defaultValue `15000` (sse-starlette's) */
  pingIntervalMs?: number;
  /** Largest accepted body; larger gets 413. @defaultValue `1048576` (1 MiB) */
  maxBodyBytes?: number;
  /** Origins allowed by CORS (`"*"` for any); none by default. */
  corsOrigins?: readonly string[] | "*";
  /** The route. @defaultValue `"/other/completion"` */
  path?: string;
  /**
   * Serve the playground page at `GET /`: pick a prompt and a model, stream an answer, stop it,
   * copy the equivalent `curl -N` command. One static page, nothing loaded from elsewhere.
   * `GET /models` and `GET /prompts` are served either way.
   * @defaultValue `true`
   */
  playground?: boolean;
  /**
   * Milliseconds a request may wait on the model endpoint (headers, first token, each gap) before
   * it fails with `upstream_timeout`: 504 before the response headers, an `event: error` after.
   * A model entry's own `timeout` wins.
   * @defaultValue `120000` (2 minutes)
   */
  timeoutMs?: number;
  /**
   * Milliseconds a client may accept no bytes of its event stream before it is dropped and its
   * upstream request aborted (logged as `client_timeout`). Pings do not count as progress.
   * @defaultValue `60000`
   */
  clientTimeoutMs?: number;
  /**
   * Aborting it ends every request in flight (server shutdown): streams with an `event: error`
   * frame of code `shutting_down`, requests still waiting for their headers with a 503.
   * Each request in flight listens on it until it ends: on Node, lift the default limit of 10
   * listeners (`events.setMaxListeners(0, signal)`) or it warns, as `serveCompletion` does.
   */
  signal?: AbortSignal;
  /**
   * Keys a client must send as `Authorization: Bearer <key>` (any one of them; the scheme is
   * case-insensitive). Without one, a request gets 401 `{"detail":"Missing or invalid API key"}`
   * and `www-authenticate: Bearer` before its body is read, logged as `unauthorized`. Open without
   * a key: `GET`/`HEAD` `/health` and `/` (a page a browser navigates to), and `OPTIONS` (CORS
   * preflights). Keys are compared in constant time, never logged or echoed; an empty key, or one
   * holding spaces, control or non-ASCII characters, is refused when the handler is made.
   * @defaultValue none: every request is served
   */
  apiKeys?: readonly string[];
  /** Called once per request when its response has been fully sent or abandoned (for access logs). */
  onRequestEnd?: (entry: RequestLogEntry) => void;
  /**
   * Put the request's content in its log entry: `query`, `promptName`, `modelName` and the
   * `answer`, each cut at `LOG_CONTENT_MAX_CHARS` (65 536) characters. Off, nothing of the prompt
   * or the answer is kept for the log (a stream keeps no copy of what it sent).
   * @defaultValue `false`
   */
  logContent?: boolean;
}

/**
 * What {@link CompletionHandlerOptions.onRequestEnd} receives: no keys, no headers, and no bodies
 * unless `logContent` is on.
 */
export interface RequestLogEntry {
  /** The client's `x-request-id` (1–128 visible ASCII characters), else a generated UUID; sent back in `x-request-id`. */
  requestId: string;
  method: string;
  path: string;
  status: number;
  /** Milliseconds from the request's arrival to the end of its response. */
  durationMs: number;
  /** Tokens the model produced (for `stream: false` too, though the client gets them as one event). */
  tokens: number;
  /** Milliseconds from the request's arrival to the model's first token; absent when none came. */
  ttftMs?: number;
  /** For a completion request that passed validation: whether it asked for a token stream. */
  stream?: boolean;
  /**
   * Why the request failed or ended early: an error code (also after the headers were sent),
   * `client_closed`, `client_timeout` or `shutting_down`.
   */
  error?: string;
  /** With `logContent`, for a body that passed validation: its `query`. */
  query?: string;
  /** With `logContent`: the body's `prompt_name` (after the server's defaults). */
  promptName?: string;
  /** With `logContent`: the body's `model_name`, when it (or the server's defaults) named one. */
  modelName?: string;
  /** With `logContent`: the answer as far as it was sent (for `stream: false`, as far as it was read). */
  answer?: string;
  /** With `logContent`: the fields cut at 65 536 characters. */
  truncated?: ("query" | "answer")[];
}

/** A response whose body is an event stream, for a transport to write (see `node/write-session.ts`). */
export interface SessionReply {
  status: number;
  headers: Record<string, string>;
  session: SseSession;
}

/** Path → answer: routes a transport adds to the handler's own (see `completionResponder`). */
export type ExtraRoutes = ReadonlyMap<string, (request: Request) => Promise<Response>>;
