import type { ServerResponse } from "node:http";
import type { EndReason, SseSession } from "../session.js";

/**
 * Writes a session's frames straight to a Node response, as `serveCompletion` does: each frame one
 * `write`, backpressure through `drain`, the session cancelled when the connection closes before the
 * end — or when the client takes no bytes for the session's client timeout, in which case the
 * connection is destroyed too (a client that reads nothing must not hold a stream, its upstream
 * request and its buffers forever).
 *
 * @param session - the response's body
 * @param status - the response status
 * @param headers - the response headers
 * @param outgoing - the Node response to write to
 */
export async function writeSessionToNode(
  session: SseSession,
  status: number,
  headers: Record<string, string>,
  outgoing: ServerResponse,
): Promise<void> {
  let ended = false;
  const stop = (reason: EndReason = "client_closed") => {
    // The client went away mid-stream (the request's signal, aborted by the adapter, has already
    // stopped the upstream) or is too slow: stop the pings and log the request once.
    if (ended) return;
    ended = true;
    void session.cancel(reason);
  };
  if (outgoing.destroyed) return stop();
  // As the adapter does for the bodies it writes: an error on the response ends the stream instead
  // of going unhandled.
  const onClose = () => stop();
  outgoing.on("error", onClose);
  outgoing.once("close", onClose);
  outgoing.writeHead(status, headers);
  session.attach({
    write: (frame) => {
      if (!ended && !outgoing.destroyed) outgoing.write(frame);
    },
    close: () => {
      if (ended) return;
      ended = true;
      outgoing.end();
    },
    backedUp: () => outgoing.writableNeedDrain,
  });
  while (await session.pull()) {
    if (outgoing.destroyed) break;
    if (outgoing.writableNeedDrain && !(await drained(outgoing, session.clientTimeoutMs))) {
      stop("client_timeout");
      outgoing.destroy();
      break;
    }
  }
}

/**
 * Resolves `true` when `outgoing` can take more or is gone, `false` when it took nothing for
 * `timeoutMs`.
 */
function drained(outgoing: ServerResponse, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (result: boolean) => {
      clearTimeout(timer);
      outgoing.off("drain", onDrain);
      outgoing.off("close", onDrain);
      resolve(result);
    };
    const onDrain = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    outgoing.on("drain", onDrain);
    outgoing.on("close", onDrain);
  });
}
