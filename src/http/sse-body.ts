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

/**
 * The response body: tokens (or, for `stream: false`, one event with the whole answer) with pings
 * every `pingIntervalMs` from the start of the response, as sse-starlette does. Pull-based, so a
 * slow client slows the upstream read instead of buffering; cancelling it (client gone) returns the
 * iterator, which aborts the upstream request.
 */
export function sseBody(
  iterator: AsyncIterator<string>,
  head: StreamHead,
  streaming: boolean,
  format: SseFormat,
  pingIntervalMs: number,
  started: number,
  log: (status: number, tokens: number, error?: string) => void,
): ReadableStream<Uint8Array> {
  let { tokens, answer } = head;
  let closed = false;
  let ping: ReturnType<typeof setInterval> | undefined;
  let pending: Promise<IteratorResult<string>> | undefined = head.pending;

  const stop = (error?: string) => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    log(200, tokens, error);
  };
  const emit = (controller: ReadableStreamDefaultController<Uint8Array>, text: string) => {
    controller.enqueue(encoder.encode(text));
  };

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // The first ping is due pingIntervalMs after the request arrived, the next ones every interval.
        const firstDelay = Math.max(0, pingIntervalMs - (performance.now() - started));
        const sendPing = () => {
          if (!closed) emit(controller, pingComment());
        };
        const timeout = setTimeout(() => {
          sendPing();
          ping = setInterval(sendPing, pingIntervalMs);
        }, firstDelay);
        ping = timeout as unknown as ReturnType<typeof setInterval>;
      },
      async pull(controller) {
        try {
          for (;;) {
            const result = await (pending ?? iterator.next());
            pending = undefined;
            if (result.done) {
              if (!streaming) emit(controller, encodeToken(answer, format));
              stop();
              controller.close();
              return;
            }
            tokens += 1;
            if (streaming) {
              emit(controller, encodeToken(result.value, format));
              return;
            }
            answer += result.value;
          }
        } catch (error) {
          if (closed) return;
          emit(controller, errorFrame(error));
          stop(isCompletionError(error) ? error.code : "internal");
          controller.close();
        }
      },
      async cancel() {
        stop("client_closed");
        await iterator.return?.();
      },
    },
    { highWaterMark: 1 },
  );
}
