import { completionStream } from "../completion.js";
import {
  COMPLETION_PATH,
  CLIENT_TIMEOUT_MS,
  MAX_BODY_BYTES,
  PING_INTERVAL_MS,
  SERVE_TIMEOUT_MS,
} from "../defaults.js";
import { isCompletionError } from "../errors.js";
import { parseCompletionOptions } from "../parse-options.js";
import { bearerCheck, refuseUnauthenticated } from "./auth.js";
import type { CompletionHandlerOptions, ExtraRoutes, SessionReply } from "./handler-options.js";
import { corsHeaders, errorResponse, json, readBody, SSE_HEADERS } from "./responses.js";
import { runOptions } from "./run-options.js";
import { infoResponse } from "./routes-info.js";
import { type RequestLog, SseSession, type StreamHead } from "./session.js";
import type { SseFormat } from "./sse.js";
import { REQUEST_ID_HEADER, requestIdOf } from "./request-id.js";
import { loggedContent } from "./log-content.js";
import { type CompletionBody, readCompletionBody } from "./validation.js";
import { sseBody } from "./web-body.js";

export { SERVE_TIMEOUT_MS } from "../defaults.js";
export type { CompletionHandlerOptions, RequestLogEntry, SessionReply } from "./handler-options.js";

/** One decoder for every body: without `{ stream: true }` a `decode()` call keeps no state. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Reads the request's body, or says it is over `limit` bytes. */
export type BodyReader = (limit: number) => Promise<Uint8Array | "too_large">;

/**
 * The handler's work, up to the body: a plain `Response`, or a {@link SessionReply} whose event
 * stream a transport writes — the web `ReadableStream` of {@link createCompletionHandler}, or
 * `serveCompletion`'s direct writes to the Node response.
 *
 * @param routes - `GET`/`HEAD` routes a transport adds (`serveCompletion`'s `/metrics`): routed
 * here, so that whatever guards the handler's routes guards them too
 * @returns the responder; a transport that holds the request's body elsewhere than in the
 * `Request` (`serveCompletion`: the Node request behind it) passes a reader of it with the request
 * @internal
 */
export function completionResponder(
  options: CompletionHandlerOptions = {},
  routes: ExtraRoutes = new Map(),
): (request: Request, readRequestBody?: BodyReader) => Promise<Response | SessionReply> {
  const route = options.path ?? COMPLETION_PATH;
  const pingIntervalMs = options.pingIntervalMs ?? PING_INTERVAL_MS;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const shutdown = options.signal;
  const shuttingDown = () => shutdown?.aborted === true;
  // A bad registry is the operator's mistake: say so now, not in every request's 422.
  if (options.models !== undefined) parseCompletionOptions({ query: "", models: options.models });
  const authenticated = bearerCheck(options.apiKeys);

  return async function respond(
    request: Request,
    readRequestBody?: BodyReader,
  ): Promise<Response | SessionReply> {
    const started = performance.now();
    const url = new URL(request.url);
    const requestId = requestIdOf(request);
    let stream: boolean | undefined;
    let content: CompletionBody | undefined; // with logContent only
    const log: RequestLog = (status, tokens = 0, error, firstTokenAt, answer) =>
      options.onRequestEnd?.({
        requestId,
        method: request.method,
        path: url.pathname,
        status,
        durationMs: performance.now() - started,
        tokens,
        ...(firstTokenAt === undefined ? {} : { ttftMs: firstTokenAt - started }),
        ...(stream === undefined ? {} : { stream }),
        ...(error === undefined ? {} : { error }),
        ...(content === undefined ? {} : loggedContent(content, answer)),
      });
    const finish = (response: Response, error?: string, head?: StreamHead) => {
      response.headers.set(REQUEST_ID_HEADER, requestId);
      log(response.status, head?.tokens ?? 0, error, head?.firstTokenAt, head?.answer);
      return response;
    };
    const cors = corsHeaders(request, options.corsOrigins);
    // First, before any route (those added below are covered) and before the body is read.
    if (authenticated !== undefined) {
      const refused = await refuseUnauthenticated(authenticated, request, url.pathname, cors);
      if (refused !== undefined) return finish(refused, "unauthorized");
    }

    if (url.pathname === "/health" && (request.method === "GET" || request.method === "HEAD")) {
      return finish(json(200, '{"status":"ok"}', cors));
    }
    const extra = routes.get(url.pathname);
    if (extra !== undefined && (request.method === "GET" || request.method === "HEAD")) {
      return finish(await extra(request));
    }
    if (url.pathname !== route) {
      const info = await infoResponse(request, url.pathname, options, cors, route);
      return finish(info ?? json(404, '{"detail":"Not Found"}', cors));
    }
    if (request.method === "OPTIONS" && Object.keys(cors).length > 0) {
      return finish(
        new Response(null, {
          status: 204,
          headers: {
            ...cors,
            "access-control-allow-methods": "POST",
            "access-control-allow-headers":
              request.headers.get("access-control-request-headers") ??
              "content-type, authorization",
            "access-control-max-age": "600",
          },
        }),
      );
    }
    if (request.method !== "POST") {
      return finish(json(405, '{"detail":"Method Not Allowed"}', { ...cors, allow: "POST" }));
    }

    let raw: Uint8Array | "too_large";
    try {
      raw = await (readRequestBody?.(maxBodyBytes) ?? readBody(request, maxBodyBytes));
    } catch {
      // The body stopped short: the client went away (or its stream failed) before its end. Logged
      // as one that went away, with nginx's status for it, not as a failure of the server's.
      return finish(json(499, '{"detail":"The client closed the request"}', cors), "client_closed");
    }
    if (raw === "too_large") {
      const detail = `Request body larger than ${maxBodyBytes} bytes`;
      return finish(json(413, JSON.stringify({ detail }), cors));
    }
    let text: string;
    try {
      text = UTF8.decode(raw);
    } catch {
      // FastAPI 0.92 answers a body it cannot decode with 400 and this detail.
      return finish(json(400, '{"detail":"There was an error parsing the body"}', cors));
    }
    const reading = readCompletionBody(
      text,
      request.headers.get("content-type"),
      options.defaults,
      {
        ...(options.models === undefined ? {} : { models: options.models }),
        ...(options.promptsDir === undefined ? {} : { promptsDir: options.promptsDir }),
      },
    );
    if (!reading.ok) return finish(json(422, reading.body, cors), "invalid_options");

    const body = reading.value;
    stream = body.stream;
    if (options.logContent === true) content = body;
    const format: SseFormat = url.searchParams.get("format") === "json" ? "json" : "text";
    // Opt-in: sse-starlette sends no end marker (an EventSource reconnects when the stream closes).
    const endParam = url.searchParams.get("end");
    const endFrame = endParam === "1" || endParam === "true";
    let iterator: AsyncIterator<string>;
    try {
      iterator = completionStream(runOptions(reading, options.models), {
        signals: [request.signal, shutdown],
        defaultTimeout: options.timeoutMs ?? SERVE_TIMEOUT_MS,
      });
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
        if (head.tokens++ === 0) head.firstTokenAt = performance.now();
        head.pending = iterator.next();
      }
    } catch (error) {
      if (!isCompletionError(error)) throw error;
      const response = errorResponse(error, cors, shuttingDown());
      const code = response.status === 503 ? "shutting_down" : error.code;
      return finish(response, request.signal.aborted ? "client_closed" : code, head);
    } finally {
      clearTimeout(pingTimer);
    }
    const session = new SseSession({
      iterator,
      head,
      streaming: body.stream,
      format,
      endFrame,
      pingIntervalMs,
      clientTimeoutMs: options.clientTimeoutMs ?? CLIENT_TIMEOUT_MS,
      started,
      shuttingDown,
      log,
      keepAnswer: options.logContent === true,
    });
    const headers = { ...SSE_HEADERS, ...cors, [REQUEST_ID_HEADER]: requestId };
    return { status: 200, headers, session };
  };
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
