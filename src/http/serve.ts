import type { Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer, type Http2Bindings, type HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import {
  type CompletionHandlerOptions,
  createCompletionHandler,
  type RequestLogEntry,
} from "./handler.js";
import { writeSessionToNode } from "./node-sse.js";
import { takeSession } from "./sse-body.js";

/** Options of {@link serveCompletion}: the handler's, plus where to listen. */
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
  /** Receives one line per request (method, path, status, duration, tokens); `false` for silence. @defaultValue stderr */
  log?: ((line: string) => void) | false;
}

/** A running server. */
export interface CompletionServer {
  /** e.g. `http://127.0.0.1:7861` */
  url: string;
  port: number;
  /** Ends every stream in flight (each gets an `event: error` frame with code `aborted`), then stops listening. */
  close(): Promise<void>;
}

/** One access-log line: no bodies, no keys. */
export function formatLogLine(entry: RequestLogEntry): string {
  const error = entry.error === undefined ? "" : ` ${entry.error}`;
  return `${entry.method} ${entry.path} ${entry.status} ${Math.round(entry.durationMs)}ms ${entry.tokens} tokens${error}`;
}

/**
 * Serves {@link createCompletionHandler} on Node through `@hono/node-server`, as
 * `completion-chain serve` does.
 *
 * @param options - handler options plus `host`, `port`, `log`
 * @example
 * ```ts
 * const server = await serveCompletion({ port: 7861, models: { qwen: { baseURL: "http://127.0.0.1:8000/v1" } } });
 * process.once("SIGTERM", () => server.close());
 * ```
 */
export async function serveCompletion(options: ServeOptions = {}): Promise<CompletionServer> {
  const {
    host = "127.0.0.1",
    port = 7861,
    log: logOption,
    graceMs: _graceMs,
    ...handlerOptions
  } = options;
  const log =
    logOption === false
      ? undefined
      : (logOption ?? ((line: string) => process.stderr.write(`${line}\n`)));
  const shutdown = new AbortController();
  const handler = createCompletionHandler({
    ...handlerOptions,
    signal: shutdown.signal,
    onRequestEnd: (entry: RequestLogEntry) => {
      log?.(formatLogLine(entry));
      // While shutting down, a connection whose stream just ended is idle: let it go at once.
      if (shutdown.signal.aborted) setImmediate(() => server.closeIdleConnections());
    },
  });
  // Event streams are written to the socket directly rather than through the web ReadableStream
  // the handler also offers (see takeSession); every other response goes through the adapter.
  const fetch = async (request: Request, env?: HttpBindings | Http2Bindings): Promise<Response> => {
    const response = await handler(request);
    const session = takeSession(response);
    if (session === undefined || env?.outgoing === undefined) return response;
    await writeSessionToNode(session, response, env.outgoing as ServerResponse);
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
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${address.port}`,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        // Streams just ended by the abort flush their last frame; idle keep-alive sockets go now.
        server.closeIdleConnections();
        // A client that holds its connection open without reading gets a second to take its last frame.
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
      });
      return closing;
    },
  };
}
