import { request as httpRequest } from "node:http";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { afterEach } from "vitest";
import { type CompletionServer, type ServeOptions, serveCompletion } from "../../src/http/index.js";

const servers: CompletionServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** The endpoint served on 127.0.0.1, port 0, closed after the test. */
export async function endpoint(options: ServeOptions = {}): Promise<CompletionServer> {
  const server = await serveCompletion({ port: 0, log: false, ...options });
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
