import { completion } from "../completion.js";
import { type CompletionError, isCompletionError } from "../errors.js";
import type { ModelRegistry } from "../models.js";
import { SseSession, type StreamHead, sseBody, withSession } from "./sse-body.js";
import type { SseFormat } from "./sse.js";
import {
  type CompletionBody,
  parseCompletionBody,
  renderValidationBody,
  type ValidationIssue,
} from "./validation.js";

/** Options of {@link createCompletionHandler}. */
export interface CompletionHandlerOptions {
  /** Model name → endpoint; the first entry is the default `model_name`. */
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
  /** Aborting it ends every stream in flight (server shutdown). */
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
  /** Error code when the request failed (also after the headers were sent). */
  error?: string;
}

const JSON_HEADERS = { "content-type": "application/json" };
const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

/** Where each completion() failure lands in the original's body, for the 422 `loc`. */
const FIELD_OF: Record<string, string> = {
  unknown_prompt: "prompt_name",
  invalid_prompt: "prompt_name",
  unknown_model: "model_name",
};
const SNAKE: Record<string, string> = {
  promptName: "prompt_name",
  maxTokens: "max_tokens",
  model: "model_name",
};

function json(status: number, body: string, extra: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...JSON_HEADERS, ...extra } });
}

/** The response for a failure before any byte of the stream was sent. */
function errorResponse(error: CompletionError, cors: Record<string, string>): Response {
  const field = FIELD_OF[error.code];
  if (field !== undefined || error.code === "invalid_options") {
    const path = error.issues?.[0]?.path ?? [];
    const name = field ?? SNAKE[String(path[0])] ?? String(path[0] ?? "body");
    const issue: ValidationIssue = {
      loc: ["body", name],
      msg: error.message,
      type: `value_error.${error.code}`,
    };
    return json(422, renderValidationBody([issue]), cors);
  }
  const status = error.code.startsWith("upstream_") ? 502 : error.code === "aborted" ? 499 : 500;
  return json(
    status,
    JSON.stringify({ detail: { code: error.code, message: error.message } }),
    cors,
  );
}

async function readBody(request: Request, limit: number): Promise<Uint8Array | "too_large"> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) return "too_large";
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return "too_large";
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function corsHeaders(
  request: Request,
  allowed: CompletionHandlerOptions["corsOrigins"],
): Record<string, string> {
  const origin = request.headers.get("origin");
  if (allowed === undefined || origin === null) return {};
  if (allowed !== "*" && !allowed.includes(origin)) return {};
  return { "access-control-allow-origin": allowed === "*" ? "*" : origin, vary: "Origin" };
}

/**
 * A web-standard handler — `(Request) => Promise<Response>` — for `POST /other/completion`,
 * wire-compatible with Langchain-Chatchat's: the same snake_case JSON body, FastAPI's 422 bodies, and
 * sse-starlette's framing (`data: <token>\r\n\r\n`, `: ping - <time>` every 15 s, no `[DONE]`).
 * Mount it in Hono, Next.js route handlers, Bun, Deno, or `completion-chain serve`.
 *
 * Unlike the original, failures are reported (502 before the first byte, an `event: error` frame
 * after) and a client that goes away stops the upstream generation at once.
 *
 * @param options - registry, prompts, defaults, ping interval, body limit, CORS, shutdown signal
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
  const route = options.path ?? "/other/completion";
  const pingIntervalMs = options.pingIntervalMs ?? 15_000;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;

  return async function handle(request: Request): Promise<Response> {
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
      return finish(
        json(
          413,
          JSON.stringify({ detail: `Request body larger than ${maxBodyBytes} bytes` }),
          cors,
        ),
      );
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
    const signals = [request.signal, options.signal].filter(
      (signal): signal is AbortSignal => signal !== undefined,
    );
    const model = body.model_name ?? undefined;
    let iterator: AsyncIterator<string>;
    try {
      iterator = completion({
        query: body.query,
        stream: true,
        echo: body.echo,
        ...(model === undefined ? {} : { model }),
        temperature: body.temperature,
        maxTokens: body.max_tokens,
        promptName: body.prompt_name,
        ...(options.promptsDir === undefined ? {} : { promptsDir: options.promptsDir }),
        ...(options.models === undefined ? {} : { models: options.models }),
        signal: AbortSignal.any(signals),
      })[Symbol.asyncIterator]();
    } catch (error) {
      if (isCompletionError(error)) return finish(errorResponse(error, cors), error.code);
      throw error;
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
      const failure = isCompletionError(error) ? error : undefined;
      if (failure) return finish(errorResponse(failure, cors), failure.code);
      throw error;
    } finally {
      clearTimeout(pingTimer);
    }
    const session = new SseSession(
      iterator,
      head,
      body.stream,
      format,
      pingIntervalMs,
      started,
      log,
    );
    return withSession(
      new Response(sseBody(session), { status: 200, headers: { ...SSE_HEADERS, ...cors } }),
      session,
    );
  };
}
