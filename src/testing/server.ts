/**
 * A loopback OpenAI-compatible server (completions and chat, streaming and not) with scripted
 * tokens, delays and faults, for tests and offline demos.
 *
 * @packageDocumentation
 */

import { createServer, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { handleRequest, type RequestContext, sendError } from "./routes.js";
import type { RecordedRequest, TestingServerOptions } from "./script.js";

/**
 * A running server; see {@link startOpenAICompatibleServer}.
 *
 * @example
 * ```ts
 * controller.abort();
 * await server.waitForConnections(0);
 * expect(server.tokensSent()).toBe(1);
 * ```
 */
export interface TestingServer {
  /** Base URL ending in `/v1`, e.g. `http://127.0.0.1:40123/v1` — an OpenAI client's `baseURL`. */
  url: string;
  port: number;
  /** Requests received so far, in order. */
  requests: RecordedRequest[];
  /**
   * Number of TCP connections currently open that have carried at least one request (including
   * idle keep-alive ones). A connection that never sent a request is not counted, though `close()`
   * still destroys it: Node's fetch (undici) opens such a connection right after aborting a
   * streamed response and keeps it for seconds or, in newer versions, indefinitely
   * (nodejs/undici#5845), which would otherwise hide whether the abort closed the socket.
   */
  openConnections(): number;
  /**
   * Resolves once at most `n` connections are open (at once if that is already so), e.g. to assert
   * that an abort really closed the socket. Sets no timer: bound it with the test's timeout.
   *
   * @param n - connections that may stay open
   * @defaultValue `n`: `0`
   */
  waitForConnections(n?: number): Promise<void>;
  /**
   * Token chunks written so far across all requests (for a non-streamed answer: tokens generated).
   * Stops growing once a client has gone away, so a test can assert that generation stopped.
   */
  tokensSent(): number;
  /**
   * Bytes of response bodies (not headers, not the chunked encoding's framing) handed to sockets so
   * far, across all requests: what `write` and `end` accepted. That includes what still sits in
   * Node's buffer (at most one write of a stream: the server waits for `drain`) and in the OS
   * socket buffers on both ends of the loopback — megabytes, not what the client has read. It stops
   * growing when the client stops reading and those buffers are full, so a test can assert that a
   * paused consumer held the server back.
   */
  bytesSent(): number;
  /** Destroys all open sockets, stops every pending timer and closes the server. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts an OpenAI-compatible server on 127.0.0.1 serving `POST /v1/completions`,
 * `POST /v1/chat/completions` (streamed when the body says `stream: true`) and `GET /v1/models`.
 * By default it echoes the prompt back word by word; the options script tokens, delays and faults.
 *
 * @param options - default script, per-request `script`, `apiKey`, `port`
 * @returns the running server; call `close()` when done
 * @example
 * ```ts
 * import OpenAI from "openai";
 * import { startOpenAICompatibleServer } from "completion-chain/testing";
 *
 * const server = await startOpenAICompatibleServer({ tokens: ["Hi", " there"], delayMs: 10 });
 * const client = new OpenAI({ baseURL: server.url, apiKey: "unused" });
 * const stream = await client.chat.completions.create({
 *   model: "testing-model",
 *   messages: [{ role: "user", content: "hello" }],
 *   stream: true,
 * });
 * for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta.content ?? "");
 * await server.close();
 * ```
 */
export async function startOpenAICompatibleServer(
  options: TestingServerOptions = {},
): Promise<TestingServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  // Connections that have carried a request; see `openConnections` for why the others don't count.
  const serving = new Set<Socket>();
  const inFlight = new Set<AbortController>();
  const waiters: { n: number; resolve: () => void }[] = [];
  let tokens = 0;
  let answers = 0;

  const settleWaiters = () => {
    for (const waiter of [...waiters]) {
      if (serving.size > waiter.n) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };

  const waitForConnections = (n = 0) =>
    new Promise<void>((resolve) => {
      waiters.push({ n, resolve });
      settleWaiters();
    });

  let bodyBytes = 0;
  /** Counts the body bytes every response accepts, for `bytesSent()`. */
  class CountedResponse extends ServerResponse {
    override write(chunk: unknown, ...rest: unknown[]): boolean {
      if (this.accepts()) bodyBytes += byteLength(chunk, rest[0]);
      return (ServerResponse.prototype.write as Write).apply(this, [chunk, ...rest]);
    }
    override end(...args: unknown[]): this {
      if (typeof args[0] !== "function" && this.accepts()) {
        bodyBytes += byteLength(args[0], args[1]);
      }
      return (ServerResponse.prototype.end as End<this>).apply(this, args);
    }
    /** A write after the end or after the socket died is refused, not sent. */
    private accepts(): boolean {
      return !this.destroyed && !this.writableEnded;
    }
  }

  const server = createServer({ ServerResponse: CountedResponse }, (req, res) => {
    serving.add(req.socket);
    const controller = new AbortController();
    inFlight.add(controller);
    // 'close' comes after a finished response too; aborting then is a no-op. Before that it means
    // the client went away, and the abort stops every pending timer of this request at once.
    res.on("close", () => {
      controller.abort();
      inFlight.delete(controller);
    });
    const context: RequestContext = {
      options,
      requests,
      signal: controller.signal,
      nextId: () => ++answers,
      onToken: () => {
        tokens++;
      },
    };
    handleRequest(req, res, context).catch((error: unknown) => {
      // Client gone or server closing: nothing left to answer.
      if (controller.signal.aborted || req.socket.destroyed) return;
      // Anything else (a throwing `script` or `tokens` function) must neither hang nor go unseen.
      if (res.headersSent) res.destroy();
      else sendError(res, 500, `The testing server's script failed: ${String(error)}`, null);
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      serving.delete(socket);
      settleWaiters();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    openConnections: () => serving.size,
    waitForConnections,
    tokensSent: () => tokens,
    bytesSent: () => bodyBytes,
    close: () => {
      closing ??= (async () => {
        for (const controller of inFlight) controller.abort();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        // server.close() may call back before every socket's own 'close' has run; wait for both so
        // that openConnections() is 0 once close() resolves.
        await Promise.all([closed, waitForConnections(0)]);
      })();
      return closing;
    },
  };
}

type Write = (this: ServerResponse, ...args: unknown[]) => boolean;
type End<T> = (this: ServerResponse, ...args: unknown[]) => T;

/** Bytes in a chunk given to `write`/`end`: a string in its encoding, a buffer as is. */
function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === "string") {
    return Buffer.byteLength(
      chunk,
      typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8",
    );
  }
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}
