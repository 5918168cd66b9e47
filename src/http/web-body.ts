import type { SseSession } from "./session.js";

const encoder = new TextEncoder();

/**
 * A session's body as a web `ReadableStream`, for any runtime. `highWaterMark: 0`: a frame is made
 * only when the consumer asks for one, so nothing piles up here for a client that stops reading.
 * A consumer that asks for nothing for the session's client timeout while a frame waits is dropped:
 * the stream errors and the session (and its upstream request) is cancelled.
 */
export function sseBody(session: SseSession): ReadableStream<Uint8Array> {
  let attached = false;
  let waiting = false; // a frame was delivered and the consumer has not asked for the next
  let since = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  const timeout = session.clientTimeoutMs;
  // One timer, re-armed only when it fires (not per frame), as the completion run does; unref'd,
  // so that a server shutting down does not wait for it.
  const arm = (ms: number) => {
    timer = setTimeout(check, ms);
    timer.unref?.();
  };
  const check = () => {
    timer = undefined;
    if (!waiting) return;
    const left = since + timeout - performance.now();
    if (left > 0) {
      arm(left);
      return;
    }
    void session.cancel("client_timeout");
    stream?.error(new Error("client timeout: the consumer took no bytes"));
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        waiting = false;
        if (!attached) {
          attached = true;
          stream = controller;
          session.attach({
            write: (frame) => controller.enqueue(encoder.encode(frame)),
            close: () => {
              clearTimeout(timer);
              controller.close();
            },
            backedUp: () => (controller.desiredSize ?? 0) < 0,
          });
        }
        if (await session.pull()) {
          waiting = true;
          since = performance.now();
          if (timer === undefined) arm(timeout);
        }
      },
      cancel: () => {
        clearTimeout(timer);
        return session.cancel();
      },
    },
    { highWaterMark: 0 },
  );
}
