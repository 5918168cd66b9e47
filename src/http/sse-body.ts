import { isCompletionError } from "../errors.js";
import { encodeEvent, encodeToken, pingComment, type SseFormat } from "./sse.js";

const encoder = new TextEncoder();

/** The frame that ends a stream that failed after it started: `event: error` with `{code, message}`. */
export function errorFrame(error: unknown): string {
  const code = isCompletionError(error) ? error.code : "internal";
  const message = error instanceof Error ? error.message : String(error);
  return encodeEvent(JSON.stringify({ code, message }), "error");
}

/** What was read before the headers went out: the answer so far and the next result, pending. */
export interface StreamHead {
  answer: string;
  tokens: number;
  pending: Promise<IteratorResult<string>>;
}

/** Where a session's frames go: a web stream's controller, or a Node response. */
export interface FrameSink {
  write(frame: string): void;
  close(): void;
}

/**
 * One response body, whatever carries it: tokens (or, for `stream: false`, one event with the whole
 * answer) with pings every `pingIntervalMs` from the start of the response, as sse-starlette does.
 * Pull-based: the next token is taken from the iterator only when the client's socket has taken the
 * last one (test/http-backpressure.test.ts). Cancelling it (client gone) returns the iterator, which
 * aborts the upstream request.
 *
 * What the iterator does meanwhile is its own affair: `completion()`'s stream is fed by its callback
 * handler while the chain runs in the background, as in the original, so the model is not held
 * back — the rest of the answer waits in the handler's queue.
 */
export class SseSession {
  private tokens: number;
  private answer: string;
  private pending: Promise<IteratorResult<string>> | undefined;
  private closed = false;
  private ping: ReturnType<typeof setTimeout> | undefined;
  private sink: FrameSink | undefined;

  constructor(
    private readonly iterator: AsyncIterator<string>,
    head: StreamHead,
    private readonly streaming: boolean,
    private readonly format: SseFormat,
    private readonly pingIntervalMs: number,
    private readonly started: number,
    private readonly log: (status: number, tokens: number, error?: string) => void,
  ) {
    this.tokens = head.tokens;
    this.answer = head.answer;
    this.pending = head.pending;
  }

  /** Frames go to `sink` from now on; the pings start. Called once, by the transport. */
  attach(sink: FrameSink): void {
    this.sink = sink;
    // The first ping is due pingIntervalMs after the request arrived, the next ones every interval.
    const firstDelay = Math.max(0, this.pingIntervalMs - (performance.now() - this.started));
    const sendPing = () => {
      if (!this.closed) sink.write(pingComment());
    };
    this.ping = setTimeout(() => {
      sendPing();
      this.ping = setInterval(sendPing, this.pingIntervalMs);
    }, firstDelay);
  }

  private stop(error?: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.ping); // the first timeout or the interval after it: one clear stops either
    this.log(200, this.tokens, error);
  }

  /**
   * Writes the next token's frame — or, at the end, the last frame — to the sink.
   *
   * @returns `false` once the body has ended (the sink is closed)
   */
  async pull(): Promise<boolean> {
    const sink = this.sink as FrameSink;
    try {
      for (;;) {
        const result = await (this.pending ?? this.iterator.next());
        this.pending = undefined;
        if (result.done) {
          if (!this.streaming) sink.write(encodeToken(this.answer, this.format));
          this.stop();
          sink.close();
          return false;
        }
        this.tokens += 1;
        if (this.streaming) {
          sink.write(encodeToken(result.value, this.format));
          return true;
        }
        this.answer += result.value;
      }
    } catch (error) {
      if (this.closed) return false;
      sink.write(errorFrame(error));
      this.stop(isCompletionError(error) ? error.code : "internal");
      sink.close();
      return false;
    }
  }

  /** The client went away: stop the pings and the upstream request. */
  async cancel(): Promise<void> {
    this.stop("client_closed");
    await this.iterator.return?.();
  }
}

/**
 * A session's body as a web `ReadableStream`, for any runtime. `highWaterMark: 0`: nothing is read
 * before the consumer asks, so a transport that writes the session itself (see
 * {@link takeSession}) never has this stream competing with it.
 */
export function sseBody(session: SseSession): ReadableStream<Uint8Array> {
  let attached = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!attached) {
          attached = true;
          session.attach({
            write: (frame) => controller.enqueue(encoder.encode(frame)),
            close: () => controller.close(),
          });
        }
        await session.pull();
      },
      cancel: () => session.cancel(),
    },
    { highWaterMark: 0 },
  );
}

const sessions = new WeakMap<Response, SseSession>();

/** Marks `response` as carrying `session`, so that a Node transport can write it directly. */
export function withSession(response: Response, session: SseSession): Response {
  sessions.set(response, session);
  return response;
}

/**
 * The session behind a response of `createCompletionHandler`, taken once, for a transport that
 * writes frames straight to its socket instead of reading the web stream (`serveCompletion`). The
 * web stream costs ~4 µs a token in promise and queue machinery (measured: a pull-based
 * `ReadableStream` read in a loop against a direct loop), plus a `TextEncoder` copy.
 */
export function takeSession(response: Response): SseSession | undefined {
  const session = sessions.get(response);
  sessions.delete(response);
  return session;
}
