/**
 * One streamed request to an OpenAI-compatible endpoint over `node:http(s)`: the body posted, the
 * event stream read straight off the socket by {@link SseParser}, each `data:` value parsed into the
 * chunk object the openai SDK would have yielded. No `fetch`, no web streams, no SSE decoder stack:
 * under load those were most of a token's CPU (README, "Speed").
 *
 * What callers see is what openai-node v6 gives them, so LangChain's retries and this library's
 * error mapping read it unchanged: a non-2xx answer is the SDK's own `APIError.generate(...)` (same
 * class, status and message), a connection failure `APIConnectionError`, the request timeout (until
 * the response headers; openai-node clears its timer there too) `APIConnectionTimeoutError`, an
 * abort before the headers `APIUserAbortError`, an `{"error":…}` chunk a status-less `APIError`, a
 * bad chunk the `SyntaxError` of `JSON.parse`, and a socket that drops mid-stream undici's
 * `TypeError: terminated`. An abort mid-stream ends the iteration quietly, as the SDK's `Stream` does.
 *
 * Node only: imported lazily by the streaming models, never at load time (edge runtimes have no
 * `node:http`).
 *
 * @packageDocumentation
 */

import {
  type ClientRequest,
  type IncomingMessage,
  request as httpRequest,
  type RequestOptions,
} from "node:http";
import { request as httpsRequest } from "node:https";
import { urlToHttpOptions } from "node:url";
import { OpenAIClient } from "@langchain/openai";
import { SseParser } from "./sse-parser.js";

/** What one streamed request needs. */
export interface EventStreamRequest {
  /** The full URL (`…/completions`, `…/chat/completions`). */
  url: string;
  /** Request headers, the key's `authorization` included. */
  headers: Record<string, string>;
  /** The JSON body. */
  body: string;
  /** Aborts the request: before the headers with `APIUserAbortError`, after them by ending quietly. */
  signal?: AbortSignal | undefined;
  /** Milliseconds until the response headers must have come. */
  timeout: number;
  /** The largest event accepted. */
  maxEventBytes: number;
}

/** The most of an error answer's body read to build its message (openai-node reads it all). */
const MAX_ERROR_BODY_BYTES = 1024 * 1024;

/** setTimeout's largest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const DONE: IteratorResult<unknown> = Object.freeze({ value: undefined, done: true });

/**
 * Posts `spec.body` and resolves, once a 2xx answer's headers are in, to the iterator of its
 * parsed chunks; rejects with the openai SDK's error for anything else.
 *
 * @param spec - where, what, and the limits
 */
export function openEventStream(spec: EventStreamRequest): Promise<NodeEventStream> {
  return new Promise((resolve, reject) => {
    const signal = spec.signal;
    if (signal?.aborted) {
      reject(new OpenAIClient.APIUserAbortError());
      return;
    }
    let settled = false;
    let req: ClientRequest;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      req?.destroy();
      reject(error);
    };
    const onAbort = () => fail(new OpenAIClient.APIUserAbortError());
    const timer = setTimeout(
      () => fail(new OpenAIClient.APIConnectionTimeoutError()),
      Math.min(spec.timeout, MAX_TIMER_MS),
    );
    try {
      const { send, options } = destinationOf(spec.url);
      req = send({
        ...options,
        method: "POST",
        headers: { ...spec.headers, "content-length": String(Buffer.byteLength(spec.body)) },
      });
    } catch (error) {
      // e.g. a header value Node refuses (ERR_INVALID_CHAR): the SDK's fetch fails the same way.
      fail(new OpenAIClient.APIConnectionError({ cause: error as Error }));
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (error) => {
      if (settled) return; // after the headers the stream listens on the response
      fail(
        signal?.aborted
          ? new OpenAIClient.APIUserAbortError()
          : new OpenAIClient.APIConnectionError({ cause: error }),
      );
    });
    req.on("response", (res) => {
      if (settled) {
        res.destroy();
        return;
      }
      clearTimeout(timer);
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        resolve(new NodeEventStream(req, res, signal, spec.maxEventBytes));
        return;
      }
      readErrorBody(res).then(
        (text) => {
          const json = safeJson(text);
          fail(
            OpenAIClient.APIError.generate(
              status,
              json,
              json === undefined ? text : undefined,
              headersOf(res),
            ),
          );
        },
        (error) => fail(new OpenAIClient.APIConnectionError({ cause: error as Error })),
      );
    });
    req.end(spec.body);
  });
}

/** Where a URL's requests go: `node:http` or `node:https`, and the URL as request options. */
interface Destination {
  send: typeof httpRequest;
  options: RequestOptions;
}

/** Bounded: a model's streamed requests go to one or two URLs, a registry's to a few dozen. */
const MAX_DESTINATIONS = 256;
const destinations = new Map<string, Destination>();

/**
 * The URL parsed once, not per request: `http.request(url)` would parse it and convert it to
 * options (`urlToHttpOptions`) on every call, a cost each request paid before its first byte.
 */
function destinationOf(url: string): Destination {
  const known = destinations.get(url);
  if (known !== undefined) return known;
  const parsed = new URL(url);
  const destination = {
    send: parsed.protocol === "https:" ? httpsRequest : httpRequest,
    options: urlToHttpOptions(parsed),
  };
  if (destinations.size >= MAX_DESTINATIONS) {
    destinations.delete(destinations.keys().next().value as string);
  }
  destinations.set(url, destination);
  return destination;
}

function readErrorBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let bytes = 0;
    res.on("data", (chunk: Buffer) => {
      if (bytes >= MAX_ERROR_BODY_BYTES) return;
      parts.push(chunk);
      bytes += chunk.length;
      if (bytes >= MAX_ERROR_BODY_BYTES) {
        res.destroy();
        resolve(Buffer.concat(parts).toString("utf8", 0, MAX_ERROR_BODY_BYTES));
      }
    });
    res.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    res.on("error", reject);
    res.on("close", () => resolve(Buffer.concat(parts).toString("utf8")));
  });
}

function safeJson(text: string): object | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i] as string, raw[i + 1] as string);
    } catch {
      // a header the web Headers class refuses is left out of the error
    }
  }
  return headers;
}

type Waiter = { resolve: (result: IteratorResult<unknown>) => void; reject: (e: unknown) => void };

/**
 * The parsed chunks of one event stream, pulled: the response is paused while parsed events wait to
 * be taken, so a consumer that stops asking holds at most one network read here and TCP pushes back
 * on the endpoint. `return()` destroys the request (the endpoint sees the connection close at once);
 * every listener it added goes with the request.
 */
export class NodeEventStream implements AsyncIterableIterator<unknown> {
  /** Events parsed and not yet taken: the `data` of each (never more than one read's worth). */
  private readonly pending: string[] = [];
  private head = 0;
  private waiter: Waiter | undefined;
  private paused = false;
  /** `[DONE]` came: later events are skipped, the stream ends with the response. */
  private doneSeen = false;
  private ended = false;
  private failure: unknown;
  private readonly parser: SseParser;
  private transform: ((chunk: unknown) => unknown) | undefined;
  private abortError: (() => Error) | undefined;

  constructor(
    private readonly req: ClientRequest,
    private readonly res: IncomingMessage,
    private readonly signal: AbortSignal | undefined,
    maxEventBytes: number,
  ) {
    this.parser = new SseParser(this.onEvent, maxEventBytes);
    res.on("data", this.onData);
    res.on("end", this.onEnd);
    res.on("error", this.onDrop);
    res.on("close", this.onClose);
    req.on("error", this.onDrop);
    signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this;
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.head < this.pending.length) {
      try {
        const result = this.take();
        if (result !== undefined) return Promise.resolve(result);
      } catch (error) {
        this.close();
        return Promise.reject(error);
      }
    }
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      this.ended = true;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve(DONE);
    if (this.waiter !== undefined) {
      return Promise.reject(new Error("NodeEventStream: next() called while a call waits"));
    }
    if (this.paused) {
      this.paused = false;
      this.res.resume();
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Leaving early: the request is destroyed, so the endpoint sees its connection close now. */
  return(): Promise<IteratorResult<unknown>> {
    this.close();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve(DONE);
    return Promise.resolve(DONE);
  }

  /**
   * Maps every chunk through `transform` from now on, skipping those it returns `undefined` for,
   * and ends with `abortError()` rather than quietly when the signal aborts: what a loop over this
   * stream in LangChain's `_streamResponseChunks` would yield and throw, without the loop's layer.
   */
  mapChunks(transform: (chunk: unknown) => unknown, abortError: () => Error): void {
    this.transform = transform;
    this.abortError = abortError;
  }

  /**
   * The next ready chunk, or `undefined` when none of the parsed events gives one: the SDK's
   * `JSON.parse` and `{"error":…}` check, then the mapping, if any.
   */
  private take(): IteratorResult<unknown> | undefined {
    while (this.head < this.pending.length) {
      const event = this.pending[this.head++] as string;
      if (this.head === this.pending.length) {
        this.pending.length = 0;
        this.head = 0;
      }
      const data = JSON.parse(event) as { error?: unknown } | null;
      if (data?.error) {
        throw new OpenAIClient.APIError(
          undefined,
          data.error as object,
          undefined,
          headersOf(this.res),
        );
      }
      const value = this.transform === undefined ? data : this.transform(data);
      if (value !== undefined) return { value, done: false };
    }
    return undefined;
  }

  /** Every event's data is parsed alike: the SDK's `Stream` reads the `event:` name only for the Assistants API's `thread.*` events. */
  private readonly onEvent = (data: string): void => {
    if (this.doneSeen) return;
    if (data.startsWith("[DONE]")) {
      this.doneSeen = true;
      return;
    }
    this.pending.push(data);
  };

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.parser.push(chunk);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (this.head === this.pending.length) return;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      let result: IteratorResult<unknown> | undefined;
      try {
        result = this.take();
      } catch (error) {
        this.waiter = undefined;
        this.close();
        waiter.reject(error);
        return;
      }
      if (result !== undefined) {
        this.waiter = undefined;
        waiter.resolve(result);
      }
    }
    if (this.head < this.pending.length && !this.paused) {
      this.paused = true;
      this.res.pause();
    }
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.detach();
    const waiter = this.waiter;
    if (waiter !== undefined && this.head === this.pending.length) {
      this.waiter = undefined;
      waiter.resolve(DONE);
    }
  };

  /** The response closed: after its end, nothing; before it, the connection dropped mid-stream. */
  private readonly onClose = (): void => {
    if (!this.ended && !this.res.complete) this.onDrop(new Error("the response closed early"));
  };

  private readonly onDrop = (cause: unknown): void => {
    if (this.ended) return;
    if (this.signal?.aborted) {
      this.onAbort();
      return;
    }
    // What undici's fetch throws when the body's socket closes before its end.
    this.fail(new TypeError("terminated", { cause }));
  };

  /** The SDK's `Stream` ends quietly when its request is aborted; LangChain then checks the signal. */
  private readonly onAbort = (): void => {
    if (this.ended) return;
    if (this.abortError !== undefined) {
      this.fail(this.abortError());
      return;
    }
    this.close();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve(DONE);
  };

  private fail(error: unknown): void {
    if (this.ended) return;
    this.close();
    const waiter = this.waiter;
    this.waiter = undefined;
    this.pending.length = 0;
    this.head = 0;
    if (waiter === undefined) this.failure = error;
    else waiter.reject(error);
  }

  /** Ends the stream: the request destroyed (a no-op once the response has ended), listeners gone. */
  private close(): void {
    if (!this.ended) {
      this.ended = true;
      this.req.destroy();
    }
    this.detach();
  }

  private detach(): void {
    this.signal?.removeEventListener("abort", this.onAbort);
    this.res.off("data", this.onData);
  }
}
