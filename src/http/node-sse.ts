import type { ServerResponse } from "node:http";
import type { SseSession } from "./sse-body.js";

/**
 * Writes a session's frames straight to a Node response, as `serveCompletion` does: headers and
 * status from `response`, each frame one `write`, backpressure through `drain`, and the session
 * cancelled when the connection closes before the end.
 *
 * @param session - from `takeSession(response)`
 * @param response - the handler's response, for its status and headers; its body is never read
 * @param outgoing - the Node response to write to
 */
export async function writeSessionToNode(
  session: SseSession,
  response: Response,
  outgoing: ServerResponse,
): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  let ended = false;
  const stop = () => {
    // The client went away mid-stream (the request's signal, aborted by the adapter, has already
    // stopped the upstream): stop the pings and log the request once.
    if (!ended) {
      ended = true;
      void session.cancel();
    }
  };
  if (outgoing.destroyed) return stop();
  // As the adapter does for the bodies it writes: an error on the response ends the stream instead
  // of going unhandled.
  outgoing.on("error", stop);
  outgoing.once("close", stop);
  outgoing.writeHead(response.status, headers);
  session.attach({
    write: (frame) => {
      if (!ended && !outgoing.destroyed) outgoing.write(frame);
    },
    close: () => {
      if (ended) return;
      ended = true;
      outgoing.end();
    },
  });
  while (await session.pull()) {
    if (outgoing.destroyed) break;
    if (outgoing.writableNeedDrain) await drained(outgoing);
  }
}

/** Resolves when `outgoing` can take more, or is gone. */
function drained(outgoing: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      outgoing.off("drain", done);
      outgoing.off("close", done);
      resolve();
    };
    outgoing.on("drain", done);
    outgoing.on("close", done);
  });
}
