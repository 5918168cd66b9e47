import { isCompletionError } from "../errors.js";
import { keepForLog } from "./log-content.js";
import { END_FRAME, encodeEvent, encodeToken, pingComment, type SseFormat } from "./sse.js";

/** Why a request ended early, besides a failure's error code: as logged. */
export type EndReason = "client_closed" | "client_timeout" | "shutting_down";

/**
 * The frame that ends a stream that failed after it started: `event: error` with `{code, message}`.
 *
 * @param error - the failure
 * @param code - the code to send instead of the error's own (`shutting_down`)
 */
export function errorFrame(error: unknown, code?: string): string {
  const sent = code ?? (isCompletionError(error) ? error.code : "internal");
  const message =
    code === "shutting_down"
      ? "The server is shutting down"
      : error instanceof Error
        ? error.message
        : String(error);
  return encodeEvent(JSON.stringify({ code: sent, message }), "error");
}

/** What was read before the headers went out: the answer so far and the next result, pending. */
export interface StreamHead {
  answer: string;
  tokens: number;
  /** When the first token arrived (`performance.now()`), if one has. */
  firstTokenAt?: number;
  pending: Promise<IteratorResult<string>>;
}

/**
 * Logs a request once, when it ends: status, tokens, why it failed or ended early, first token time,
 * and the answer (used only with `logContent`).
 */
export type RequestLog = (
  status: number,
  tokens?: number,
  error?: string,
  firstTokenAt?: number,
  answer?: string,
) => void;

/** Where a session's frames go: a web stream's controller, or a Node response. */
export interface FrameSink {
  write(frame: string): void;
  close(): void;
  /** True while the client has not taken what was written (no ping is added then). */
  backedUp(): boolean;
}

/** Everything one response body is made of. */
export interface SessionOptions {
  /** The completion's tokens. */
  iterator: AsyncIterator<string>;
  /** What was read before the headers went out. */
  head: StreamHead;
  /** Tokens as events, or one event with the whole answer. */
  streaming: boolean;
  format: SseFormat;
  /** Send {@link END_FRAME} after the last token (`?end=1`); never after an error frame. */
  endFrame?: boolean;
  pingIntervalMs: number;
  /** Milliseconds a client may take no bytes before it is dropped. */
  clientTimeoutMs: number;
  /** When the request arrived (`performance.now()`): pings count from there. */
  started: number;
  /** True once the server is shutting down: a failure is then reported as `shutting_down`. */
  shuttingDown: () => boolean;
  /** Called once, when the body has ended or been abandoned. */
  log: RequestLog;
  /** Keep what a stream sends (bounded) for the log: `logContent`. Off, a stream keeps nothing. */
  keepAnswer?: boolean;
}

/**
 * One response body, whatever carries it: tokens (or, for `stream: false`, one event with the whole
 * answer) with pings every `pingIntervalMs` from the start of the response, as sse-starlette does.
 * Pull-based: the next token is taken from the iterator only when the client's socket has taken the
 * last one, and the iterator (a completion run) pulls the model only then, so a client that stops
 * reading holds the upstream back (test/backpressure.test.ts). Cancelling it (client gone, client
 * too slow) returns the iterator, which aborts the upstream request.
 */
export class SseSession {
  private tokens: number;
  private firstTokenAt: number | undefined;
  private answer: string;
  private pending: Promise<IteratorResult<string>> | undefined;
  private closed = false;
  private ping: ReturnType<typeof setTimeout> | undefined;
  private sink: FrameSink | undefined;

  constructor(private readonly options: SessionOptions) {
    this.tokens = options.head.tokens;
    this.firstTokenAt = options.head.firstTokenAt;
    this.answer = options.head.answer;
    this.pending = options.head.pending;
  }

  /** Milliseconds a client may take no bytes before {@link cancel} with `client_timeout`. */
  get clientTimeoutMs(): number {
    return this.options.clientTimeoutMs;
  }

  /** Frames go to `sink` from now on; the pings start. Called once, by the transport. */
  attach(sink: FrameSink): void {
    this.sink = sink;
    const { pingIntervalMs, started } = this.options;
    // The first ping is due pingIntervalMs after the request arrived, the next ones every interval.
    const firstDelay = pingIntervalMs - (performance.now() - started);
    // A client that reads nothing gets no pings piled up for it: they keep a live connection
    // open, they are not progress (the client timeout drops one that takes no bytes).
    const sendPing = () => {
      if (!this.closed && !sink.backedUp()) sink.write(pingComment());
    };
    if (firstDelay <= 0) {
      // Due already (the headers went out because the first ping was): it goes now, before a token
      // that arrives in the meantime, not on a timer that such a token could overtake.
      sendPing();
      this.ping = setInterval(sendPing, pingIntervalMs);
      return;
    }
    this.ping = setTimeout(() => {
      sendPing();
      this.ping = setInterval(sendPing, pingIntervalMs);
    }, firstDelay);
  }

  private stop(error?: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.ping); // the first timeout or the interval after it: one clear stops either
    this.options.log(200, this.tokens, error, this.firstTokenAt, this.answer);
  }

  /**
   * Writes the next token's frame — or, at the end, the last frame — to the sink.
   *
   * @returns `false` once the body has ended (the sink is closed)
   */
  async pull(): Promise<boolean> {
    const sink = this.sink as FrameSink;
    const { iterator, streaming, format } = this.options;
    try {
      for (;;) {
        const result = await (this.pending ?? iterator.next());
        this.pending = undefined;
        if (this.closed) return false;
        if (result.done) {
          if (!streaming) sink.write(encodeToken(this.answer, format));
          if (this.options.endFrame) sink.write(END_FRAME);
          this.stop();
          sink.close();
          return false;
        }
        if (this.tokens++ === 0) this.firstTokenAt = performance.now();
        if (streaming) {
          sink.write(encodeToken(result.value, format));
          if (this.options.keepAnswer) this.answer = keepForLog(this.answer, result.value);
          return true;
        }
        this.answer += result.value;
      }
    } catch (error) {
      if (this.closed) return false;
      const shutdown = this.options.shuttingDown() ? "shutting_down" : undefined;
      sink.write(errorFrame(error, shutdown));
      this.stop(shutdown ?? (isCompletionError(error) ? error.code : "internal"));
      sink.close();
      return false;
    }
  }

  /** The client went away, or took no bytes for too long: stop the pings and the upstream request. */
  async cancel(reason: EndReason = "client_closed"): Promise<void> {
    this.stop(reason);
    await this.options.iterator.return?.();
  }
}
