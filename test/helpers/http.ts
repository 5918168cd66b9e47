import { request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { afterEach } from "vitest";
import { createCompletionHandler } from "../../src/http/index.js";
import {
  type CompletionServer,
  type ServeOptions,
  serveCompletion,
} from "../../src/http/node/index.js";
import { createServerLog } from "../../src/http/node/request-logger.js";

const servers: CompletionServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/**
 * How the response body reaches the socket: `node` is `serveCompletion` (frames written straight
 * to the Node response), `web` is the handler's web `ReadableStream` read by `@hono/node-server`, as
 * for a user who mounts `createCompletionHandler` in their own server.
 */
export type Transport = "node" | "web";
export const TRANSPORTS: readonly Transport[] = ["node", "web"];

/** `createCompletionHandler` mounted in a plain `@hono/node-server` adaptor, on 127.0.0.1:0. */
async function webEndpoint(options: ServeOptions): Promise<CompletionServer> {
  const { host: _host, port: _port, log, logFormat, ...handlerOptions } = options;
  const shutdown = new AbortController();
  // The log serveCompletion would write, in the same format.
  const serverLog = log ? createServerLog({ log, logFormat }) : undefined;
  const handler = createCompletionHandler({
    ...handlerOptions,
    signal: shutdown.signal,
    ...(serverLog ? { onRequestEnd: (entry) => serverLog.request(entry) } : {}),
  });
  const server = createAdaptorServer({ fetch: handler, overrideGlobalObjects: false }) as Server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The endpoint served on 127.0.0.1, port 0, closed after the test. */
export async function endpoint(
  options: ServeOptions & { transport?: Transport } = {},
): Promise<CompletionServer> {
  const { transport = "node", ...serveOptions } = options;
  const server =
    transport === "node"
      ? await serveCompletion({ port: 0, log: false, ...serveOptions })
      : await webEndpoint(serveOptions);
  servers.push(server);
  return server;
}

/** POSTs a JSON body (an object is stringified; a string is sent as is). */
export function post(
  server: CompletionServer,
  body: unknown,
  init: { query?: string; headers?: Record<string, string> } = {},
) {
  return fetch(`${server.url}/other/completion${init.query ?? ""}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...init.headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Parses an SSE body with eventsource-parser, as a standard client would. */
export function parseEvents(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  parser.feed(text);
  return events;
}

/** Sends raw bytes over a socket and returns the raw response head and body bytes. */
export function rawRequest(
  server: CompletionServer,
  method: string,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.url);
    const req = httpRequest(
      url,
      { method, headers: { "content-length": Buffer.byteLength(body), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
