import { IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setMaxListeners } from "node:events";
import type { AddressInfo } from "node:net";
import { createAdaptorServer, type Http2Bindings, type HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { GRACE_MS, SERVE_HOST, SERVE_PORT } from "../../defaults.js";
import {
  type CompletionHandlerOptions,
  completionResponder,
  type RequestLogEntry,
} from "../handler.js";
import type { ExtraRoutes } from "../handler-options.js";
import { REQUEST_ID_HEADER, requestIdOf } from "../request-id.js";
import { corsHeaders, shuttingDown } from "../responses.js";
import { sseBody } from "../web-body.js";
import type { CompletionMetrics, createCompletionMetrics } from "./metrics.js";
import { readIncomingBody } from "./incoming-body.js";
import { createServerLog, type LogFormat, type ServerLog } from "./request-logger.js";
import { writeSessionToNode } from "./write-session.js";

/** Options of {@link serveCompletion}: the handler's, plus where to listen and how to stop. */
export interface ServeOptions extends Omit<CompletionHandlerOptions, "signal" | "onRequestEnd"> {
  /** Interface to bind. @defaultValue `"127.0.0.1"` (not reachable from other machines) */
  host?: string;
  /** Port; `0` picks a free one. @defaultValue `7861` (Chatchat's API port) */
  port?: number;
  /**
   * Milliseconds `close()` gives the streams in flight to finish before it ends each with an
   * `event: error` frame (code `shutting_down`) and aborts its upstream request.
   * @defaultValue `10000`
   */
  graceMs?: number;
  /**
   * Receives each log line (one per request, in `logFormat`, without a line break); `false` for
   * silence. @defaultValue lines to stdout
   */
  log?: ((line: string) => void) | false;
  /**
   * `"json"`: one JSON object per line (pino's: `time`, `level`, `msg`, then the request's fields);
   * `"pretty"`: one line for people (`formatLogLine`).
   * @defaultValue `"pretty"` when stdout is a terminal or `log` is a function, else `"json"`
   */
  logFormat?: LogFormat;
  /**
   * Serve `GET /metrics`: this server's Prometheus metrics (see {@link createCompletionMetrics}),
   * behind the same checks as every other route. `false`: no metrics, and `/metrics` is a 404.
   * @defaultValue `true`
   */
  metrics?: boolean;
}

/** A running server. */
export interface CompletionServer {
  /** e.g. `http://127.0.0.1:7861` */
  url: string;
  port: number;
  /**
   * Stops accepting connections and answers new requests on open ones with 503; gives the
   * requests in flight `graceMs` to finish, then ends each (an `event: error` frame with code
   * `shutting_down`, or a 503 when its headers were not sent yet) and aborts its upstream request;
   * resolves when the server is closed.
   */
  close(): Promise<void>;
}

/**
 * Serves {@link createCompletionHandler} on Node through `@hono/node-server`, as
 * `completion-chain serve` does, with `GET /metrics` (Prometheus) unless `metrics: false`.
 *
 * @param options - handler options plus `host`, `port`, `graceMs`, `log`, `logFormat`, `metrics`
 * @example
 * ```ts
 * const server = await serveCompletion({ port: 7861, models: { qwen: { baseURL: "http://127.0.0.1:8000/v1" } } });
 * process.once("SIGTERM", () => server.close());
 * ```
 */
export async function serveCompletion(options: ServeOptions = {}): Promise<CompletionServer> {
  return serveWithLog(options, createServerLog({ log: options.log, logFormat: options.logFormat }));
}

/** What the CLI changes in a server it runs as a cluster worker. @internal */
export interface ServeHooks {
  /** Answers `GET /metrics` instead of the server's own `respond` (a worker: the whole cluster's). */
  metricsRoute?: (metrics: CompletionMetrics) => (request: Request) => Promise<Response>;
}

/**
 * {@link serveCompletion} writing its request lines to `log`, which the caller (the CLI) also
 * writes its own messages to; `close()` flushes it.
 *
 * @internal
 */
export async function serveWithLog(
  options: ServeOptions,
  log: ServerLog,
  hooks: ServeHooks = {},
): Promise<CompletionServer> {
  const {
    host = SERVE_HOST,
    port = SERVE_PORT,
    log: _log,
    logFormat: _logFormat,
    graceMs = GRACE_MS,
    metrics: withMetrics = true,
    ...handlerOptions
  } = options;
  const shutdown = new AbortController();
  // Every request in flight listens on it (and stops listening when it ends): more than Node's
  // default of 10 at once is the normal case, not a leak, so no MaxListenersExceededWarning.
  setMaxListeners(0, shutdown.signal);
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;
  // Loaded only when used, so that the CLI's one-shot completions (which import this file, not the
  // entry point that re-exports createCompletionMetrics) never load prom-client.
  const metrics = withMetrics
    ? (await import("./metrics.js")).createCompletionMetrics({ path: handlerOptions.path })
    : undefined;
  const metricsRoute = metrics && (hooks.metricsRoute?.(metrics) ?? metrics.respond);
  const routes: ExtraRoutes = new Map(metricsRoute ? [["/metrics", metricsRoute]] : []);
  const respond = completionResponder(
    {
      ...handlerOptions,
      signal: shutdown.signal,
      onRequestEnd: (entry: RequestLogEntry) => {
        inFlight -= 1;
        metrics?.requestEnded(entry);
        log.request(entry);
        if (inFlight === 0) idle?.();
        // While shutting down, a connection whose request just ended is idle: let it go at once.
        if (draining) setImmediate(() => server.closeIdleConnections());
      },
    },
    routes,
  );
  // Event streams are written to the socket directly rather than through a web ReadableStream,
  // whose promise and queue machinery costs CPU on every token (`npm run bench` compares the two
  // transports); every other response goes through the adapter.
  const fetch = async (request: Request, env?: HttpBindings | Http2Bindings): Promise<Response> => {
    metrics?.requestStarted(request);
    if (draining) {
      const entry = unhandled(request, 503, "shutting_down");
      metrics?.requestEnded(entry);
      log.request(entry);
      const response = shuttingDown(corsHeaders(request, handlerOptions.corsOrigins));
      response.headers.set(REQUEST_ID_HEADER, entry.requestId);
      return response;
    }
    inFlight += 1;
    let reply: Awaited<ReturnType<typeof respond>>;
    try {
      // The body read from the Node request itself, not through the web Request the adapter
      // would build for it (incoming-body.ts).
      const incoming = env?.incoming;
      reply = await respond(
        request,
        incoming instanceof IncomingMessage
          ? (limit) => readIncomingBody(incoming, limit)
          : undefined,
      );
    } catch (error) {
      inFlight -= 1; // the handler never logged it (a bug of ours): it must not hold shutdown back
      metrics?.requestEnded(unhandled(request, 500, "internal"));
      throw error;
    }
    if (reply instanceof Response) return reply;
    const outgoing = env?.outgoing as ServerResponse | undefined;
    if (outgoing === undefined) {
      return new Response(sseBody(reply.session), { status: reply.status, headers: reply.headers });
    }
    await writeSessionToNode(reply.session, reply.status, reply.headers, outgoing);
    return RESPONSE_ALREADY_SENT;
  };
  // overrideGlobalObjects: false — a library must not replace the process's global Request/Response.
  const server = createAdaptorServer({
    fetch,
    hostname: host,
    overrideGlobalObjects: false,
  }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // Node's default backlog (511) overflows when hundreds of clients connect at once, and the
    // kernel then drops SYNs that clients retry only after 1 s, 3 s, 7 s…; the kernel caps it at
    // net.core.somaxconn anyway.
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await log.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const drained = () =>
    new Promise<void>((resolve) => {
      if (inFlight === 0) return resolve();
      const timer = setTimeout(resolve, graceMs);
      idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  return {
    url: `http://${hostForUrl}:${address.port}`,
    port: address.port,
    close() {
      closing ??= (async () => {
        draining = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await drained();
        shutdown.abort();
        // Streams just ended by the abort flush their last frame; idle keep-alive sockets go now.
        server.closeIdleConnections();
        // A client that holds its connection open without reading gets a second to take its last frame.
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
        await closed;
        await log.close();
      })();
      return closing;
    },
  };
}

/** The log entry of a request the handler did not answer: refused while draining, or it threw. */
function unhandled(request: Request, status: number, error: string): RequestLogEntry {
  const { method } = request;
  const path = new URL(request.url).pathname;
  return { requestId: requestIdOf(request), method, path, status, durationMs: 0, tokens: 0, error };
}
