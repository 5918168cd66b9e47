/**
 * A client's view of the testing server for testing-server*.test.ts: one server a test (closed
 * after it), requests to it, and readers of its streamed bodies.
 */
import { createParser } from "eventsource-parser";
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

export interface ReadStream {
  /** `data` of every SSE event, in order. */
  events: string[];
  /** The raw network chunks as the client received them. */
  chunks: Uint8Array[];
  /** Set when reading the body failed. */
  error?: unknown;
}

/** POSTs `body` with a signal: the response body's reader, and the controller that aborts it. */
export async function abortablePost(path: string, body: unknown) {
  const controller = new AbortController();
  const response = await post(path, body, { signal: controller.signal });
  return { controller, reader: response.body?.getReader() };
}

/** Reads a streamed body to its end (or failure), parsing SSE with eventsource-parser. */
export async function readStream(response: Response): Promise<ReadStream> {
  const events: string[] = [];
  const chunks: Uint8Array[] = [];
  const parser = createParser({
    onEvent(event) {
      events.push(event.data);
    },
  });
  const decoder = new TextDecoder();
  const body = response.body;
  if (!body) throw new Error("response has no body");
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
    return { events, chunks };
  } catch (error) {
    return { events, chunks, error };
  }
}

// biome-ignore lint/suspicious/noExplicitAny: stream chunks are checked field by field below
export type Chunk = any;

export function jsonEvents(events: string[]): Chunk[] {
  return events.filter((data) => data !== "[DONE]").map((data) => JSON.parse(data));
}

/** The text carried by completion (`text`) or chat (`delta.content`) chunks. */
export function tokensOf(events: string[]): string[] {
  return jsonEvents(events)
    .flatMap((chunk) => chunk.choices ?? [])
    .map((choice: Chunk) => choice.text ?? choice.delta?.content ?? "")
    .filter((token: string) => token !== "");
}

/** Reads a streamed body bit by bit, so that a test can stop at a point and look at the server. */
export function streamReader(response: Response) {
  const body = response.body;
  if (!body) throw new Error("response has no body");
  const reader = body.getReader();
  const state: ReadStream & { bytes: number } = { events: [], chunks: [], bytes: 0 };
  const parser = createParser({
    onEvent(event) {
      state.events.push(event.data);
    },
  });
  const decoder = new TextDecoder();
  const until = async (done: (events: string[]) => boolean): Promise<void> => {
    while (!done(state.events)) {
      const { done: ended, value } = await reader.read();
      if (ended) return;
      state.chunks.push(value);
      state.bytes += value.byteLength;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  };
  return {
    state,
    /** Reads until `done(events)` holds or the body ends. */
    until,
    /** Reads to the end of the body or its failure. */
    async rest(): Promise<ReadStream & { bytes: number }> {
      await until(() => false).catch((error: unknown) => {
        state.error = error;
      });
      return state;
    },
  };
}

/** The raw bytes of a body as text. */
export function rawText(chunks: Uint8Array[]): string {
  return Buffer.concat(chunks).toString("utf8");
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

/** Until the microtasks queued so far, and the ones they queue, have run. */
export const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

export const PROMPT = "hello big world";

/** Timers that keep the process alive (unref'd ones are not listed). */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length;
}
