/**
 * Reading a request body straight from Node's `IncomingMessage`, for `serveCompletion`: the same
 * answer as `readBody` on the web `Request`, without building that `Request` and its body's web
 * stream (`@hono/node-server` builds both the first time `request.body` is read: an undici
 * `Request`, a `ReadableStream`, an `AbortSignal`). Every request paid that once; in a burst of new
 * requests, what each request costs once is what delays first tokens (README, "Speed").
 *
 * @packageDocumentation
 */

import type { IncomingMessage } from "node:http";

/**
 * The body of `incoming`, or "too_large" past `limit` bytes (read no further: Node discards the
 * rest when the response ends).
 *
 * @param incoming - the request, its body not yet read
 * @param limit - the most bytes accepted
 */
export function readIncomingBody(
  incoming: IncomingMessage,
  limit: number,
): Promise<Uint8Array | "too_large"> {
  const declared = Number(incoming.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve("too_large");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        incoming.pause();
        resolve("too_large");
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    };
    const onError = (error: unknown) => {
      done();
      reject(error);
    };
    const onClose = () => {
      done();
      reject(new Error("the client closed the connection before the body's end"));
    };
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
}
