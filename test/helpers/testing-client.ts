/**
 * A client's view of the testing server for testing-server*.test.ts: one server a test (closed
 * after it), and requests to it.
 */
import { afterEach } from "vitest";
import {
  startOpenAICompatibleServer,
  type TestingScript,
  type TestingServer,
  type TestingServerOptions,
} from "../../src/testing/index.js";

let server: TestingServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

export async function start(options?: TestingServerOptions): Promise<TestingServer> {
  server = await startOpenAICompatibleServer(options);
  return server;
}

export function post(path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  if (!server) throw new Error("start the server first");
  return fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

/** POSTs `body` with a signal: the response body's reader, and the controller that aborts it. */
export async function abortablePost(path: string, body: unknown) {
  const controller = new AbortController();
  const response = await post(path, body, { signal: controller.signal });
  return { controller, reader: response.body?.getReader() };
}

/** A per-request script that changes nothing but tells when a request reached it, body read. */
export function arrival(): { arrived: Promise<void>; script: () => TestingScript } {
  let seen!: () => void;
  const arrived = new Promise<void>((resolve) => {
    seen = resolve;
  });
  return {
    arrived,
    script: () => {
      seen();
      return {};
    },
  };
}

export const PROMPT = "hello big world";
