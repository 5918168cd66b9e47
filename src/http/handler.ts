import { completionStream } from "../completion.js";
import { CompletionError, isCompletionError } from "../errors.js";
import { configuredModelNames, type ModelRegistry, quoteName } from "../models.js";
import { parseCompletionOptions } from "../options.js";
import { corsHeaders, errorResponse, json, readBody, SSE_HEADERS } from "./responses.js";
import { SseSession, type StreamHead } from "./session.js";
import type { SseFormat } from "./sse.js";
import { type CompletionBody, parseCompletionBody } from "./validation.js";
import { sseBody } from "./web-body.js";

/** Options of {@link createCompletionHandler}. */
export interface CompletionHandlerOptions {
  /** Model name → endpoint; the first entry is the default `model_name`. Clients may name only these. */
  models?: ModelRegistry;
  /** A directory overlaying the bundled `prompts/`. */
  promptsDir?: string;
  /** Defaults for absent body keys. @defaultValue the original's: temperature 0.7, max_tokens 1024, prompt_name "default" */
  defaults?: Partial<
    Pick<CompletionBody, "model_name" | "temperature" | "max_tokens" | "prompt_name">
  >;
  /** Milliseconds between `: ping` comments, from the start of the response. @defaultValue `15000` (sse-starlette's) */
  pingIntervalMs?: number;
  /** Largest accepted body; larger gets 413. @defaultValue `1048576` (1 MiB) */
  maxBodyBytes?: number;
  /** Origins allowed by CORS (`"*"` for any); none by default. */
  corsOrigins?: readonly string[] | "*";
  /** The route. @defaultValue `"/other/completion"` */
  path?: string;
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
   */
  signal?: AbortSignal;
  /** Called once per request when its response has been fully sent or abandoned (for access logs). */
  onRequestEnd?: (entry: RequestLogEntry) => void;
}

/** What {@link CompletionHandlerOptions.onRequestEnd} receives: no bodies, no keys. */
export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  durationMs: number;
  tokens: number;
  /**
   * Why the request failed or ended early: an error code (also after the headers were sent),
   * `client_closed`, `client_timeout` or `shutting_down`.
   */
  error?: string;
}

/** A response whose body is an event stream, for a transport to write (see `node/write-session.ts`). */
export interface SessionReply {
  status: number;
  headers: Record<string, string>;
  session: SseSession;
}

/** The default of {@link CompletionHandlerOptions.timeoutMs}. */
export const SERVE_TIMEOUT_MS = 120_000;

/**
 * The handler's work, up to the body: a plain `Response`, or a {@link SessionReply} whose event
 * stream a transport writes — the web `ReadableStream` of {@link createCompletionHandler}, or
 * `serveCompletion`'s direct writes to the Node response.
 *
 * @internal
 */
export function completionResponder(
  options: CompletionHandlerOptions = {},
): (request: Request) => Promise<Response | SessionReply> {
  const route = options.path ?? "/other/completion";
  const pingIntervalMs = options.pingIntervalMs ?? 15_000;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const shutdown = options.signal;
  const shuttingDown = () => shutdown?.aborted === true;
  // A bad registry is the operator's mistake: say so now, not in every request's 422.
  if (options.models !== undefined) parseCompletionOptions({ query: "", models: options.models });

  return async function respond(request: Request): Promise<Response | SessionReply> {
    const started = performance.now();
    const url = new URL(request.url);
    const log = (status: number, tokens = 0, error?: string) =>
      options.onRequestEnd?.({
        method: request.method,
        path: url.pathname,
        status,
        durationMs: performance.now() - started,
        tokens,
        ...(error === undefined ? {} : { error }),
      });
    const finish = (response: Response, error?: string) => {
      log(response.status, 0, error);
      return response;
    };
    const cors = corsHeaders(request, options.corsOrigins);

    if (url.pathname === "/health" && (request.method === "GET" || request.method === "HEAD")) {
      return finish(json(200, '{"status":"ok"}', cors));
    }
    if (url.pathname !== route) return finish(json(404, '{"detail":"Not Found"}', cors));
    if (request.method === "OPTIONS" && Object.keys(cors).length > 0) {
      return finish(
        new Response(null, {
          status: 204,
          headers: {
            ...cors,
            "access-control-allow-methods": "POST",
            "access-control-allow-headers":
              request.headers.get("access-control-request-headers") ?? "content-type",
            "access-control-max-age": "600",
          },
        }),
      );
    }
    if (request.method !== "POST") {
      return finish(json(405, '{"detail":"Method Not Allowed"}', { ...cors, allow: "POST" }));
    }

    const raw = await readBody(request, maxBodyBytes);
    if (raw === "too_large") {
      const detail = `Request body larger than ${maxBodyBytes} bytes`;
      return finish(json(413, JSON.stringify({ detail }), cors));
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
    } catch {
      // FastAPI 0.92 answers a body it cannot decode with 400 and this detail.
      return finish(json(400, '{"detail":"There was an error parsing the body"}', cors));
    }
    const parsed = parseCompletionBody(text, request.headers.get("content-type"), options.defaults);
    if (!parsed.ok) return finish(json(422, parsed.body, cors), "invalid_options");

    const body = parsed.value;
    const format: SseFormat = url.searchParams.get("format") === "json" ? "json" : "text";
    let iterator: AsyncIterator<string>;
    try {
      const model = body.model_name ?? undefined;
      if (model !== undefined) checkConfigured(model, options.models);
      iterator = completionStream(
        parseCompletionOptions({
          query: body.query,
          stream: true,
          echo: body.echo,
          ...(model === undefined ? {} : { model }),
          temperature: body.temperature,
          maxTokens: body.max_tokens,
          promptName: body.prompt_name,
          ...(options.promptsDir === undefined ? {} : { promptsDir: options.promptsDir }),
          ...(options.models === undefined ? {} : { models: options.models }),
        }),
        {
          signals: [request.signal, shutdown],
          defaultTimeout: options.timeoutMs ?? SERVE_TIMEOUT_MS,
        },
      );
    } catch (error) {
      if (!isCompletionError(error)) throw error;
      return finish(errorResponse(error, cors, shuttingDown()), error.code);
    }

    // Hold the headers until there is something to send (the first token; for stream: false the
    // whole answer), a failure, or the first ping is due. A failure before anything was sent can then
    // still be a proper status (the original sent 200 and an empty stream).
    let pingTimer: ReturnType<typeof setTimeout> | undefined;
    const firstPing = new Promise<"ping">((resolve) => {
      pingTimer = setTimeout(() => resolve("ping"), pingIntervalMs);
    });
    // `pending` is kept across the race: when the ping wins, its token is still to come.
    const head: StreamHead = { answer: "", tokens: 0, pending: iterator.next() };
    try {
      for (;;) {
        const winner = await Promise.race([head.pending, firstPing]);
        if (winner === "ping" || winner.done || body.stream) break;
        head.answer += winner.value;
        head.tokens += 1;
        head.pending = iterator.next();
      }
    } catch (error) {
      if (!isCompletionError(error)) throw error;
      const response = errorResponse(error, cors, shuttingDown());
      const code = response.status === 503 ? "shutting_down" : error.code;
      return finish(response, request.signal.aborted ? "client_closed" : code);
    } finally {
      clearTimeout(pingTimer);
    }
    const session = new SseSession({
      iterator,
      head,
      streaming: body.stream,
      format,
      pingIntervalMs,
      clientTimeoutMs: options.clientTimeoutMs ?? 60_000,
      started,
      shuttingDown,
      log,
    });
    return { status: 200, headers: { ...SSE_HEADERS, ...cors }, session };
  };
}

/**
 * Over HTTP, only the configured names: a `provider:model` string (or any other name) would build
 * a model the operator never configured, with the server's own key.
 */
function checkConfigured(name: string, models: ModelRegistry | undefined): void {
  const names = configuredModelNames({ models });
  if (names.includes(name)) return;
  throw new CompletionError(
    "unknown_model",
    names.length > 0
      ? `No model named ${quoteName(name)} is configured; configured: ${names.join(", ")}`
      : `No model named ${quoteName(name)} is configured, and no endpoint is`,
    { issues: [{ path: ["model"], message: "not a configured model" }] },
  );
}

/**
 * A web-standard handler — `(Request) => Promise<Response>` — for `POST /other/completion`,
 * wire-compatible with Langchain-Chatchat's: the same snake_case JSON body, FastAPI's 422 bodies, and
 * sse-starlette's framing (`data: <token>\r\n\r\n`, `: ping - <time>` every 15 s, no `[DONE]`).
 * Mount it in Hono, Next.js route handlers, Bun, Deno, or `completion-chain serve`.
 *
 * Unlike the original, failures are reported (502, or 504 for a timeout, before the first byte; an
 * `event: error` frame after), a client that goes away stops the upstream generation at once, a
 * client that stops reading holds the upstream back, and only configured models can be named.
 *
 * @param options - registry, prompts, defaults, limits, CORS, shutdown signal
 * @example
 * ```ts
 * import { createCompletionHandler } from "completion-chain/http";
 * const handler = createCompletionHandler({ models: { qwen: { baseURL: "http://127.0.0.1:8000/v1" } } });
 * export const POST = handler; // Next.js route handler
 * ```
 */
export function createCompletionHandler(
  options: CompletionHandlerOptions = {},
): (request: Request) => Promise<Response> {
  const respond = completionResponder(options);
  return async (request) => {
    const reply = await respond(request);
    if (reply instanceof Response) return reply;
    return new Response(sseBody(reply.session), { status: reply.status, headers: reply.headers });
  };
}
