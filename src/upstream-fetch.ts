/**
 * The `fetch` and `logger` given to the openai SDK of every model built from the registry: they keep
 * a misbehaving endpoint's event stream from costing quadratic time or printing raw bytes.
 *
 * @packageDocumentation
 */

import { concatBytes } from "./bytes.js";
import { eventTooLarge } from "./run/failures.js";

/**
 * The largest server-sent event (in practice: one `data:` line) accepted from a model endpoint:
 * a real token chunk is well under a kilobyte; past this the stream fails with `upstream_malformed`.
 */
export const MAX_UPSTREAM_EVENT_BYTES = 8 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/**
 * The end (exclusive) of the last event boundary — `\n\n`, `\r\r` or `\r\n\r\n`, the three openai-node
 * looks for (`findDoubleNewlineIndex`) — in `chunk`, counting one that began in the last bytes before
 * it (`tail`), or -1.
 */
function lastEventEnd(tail: Uint8Array, chunk: Uint8Array): number {
  const end = lastBoundary(chunk);
  if (end >= 0 || tail.length === 0) return end;
  const joint = concatBytes([tail, chunk.subarray(0, 3)]);
  const jointEnd = lastBoundary(joint);
  return jointEnd > tail.length ? jointEnd - tail.length : -1;
}

/**
 * Scans back from the end, so a chunk of whole events stops at once. Plain bytes, no `Buffer`: the
 * module must load on runtimes without Node's globals.
 */
function lastBoundary(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= 1; i--) {
    const last = bytes[i];
    if (last !== LF && last !== CR) continue;
    if (bytes[i - 1] === last) return i + 1; // \n\n or \r\r
    if (
      last === LF &&
      i >= 3 &&
      bytes[i - 1] === CR &&
      bytes[i - 2] === LF &&
      bytes[i - 3] === CR
    ) {
      return i + 1; // \r\n\r\n
    }
  }
  return -1;
}

/**
 * Re-cuts an event stream so that every piece ends on an event boundary. openai-node v6 joins each
 * network chunk onto the unfinished event before it (`iterSSEChunks`, `LineDecoder` in
 * `core/streaming.js`), copying it again every time: a 16 MiB line with no newline took 18 s of CPU.
 * Handed whole events, it copies each byte once. An event over `maxEventBytes` fails the stream.
 */
export function eventChunker(
  maxEventBytes: number = MAX_UPSTREAM_EVENT_BYTES,
): TransformStream<Uint8Array, Uint8Array> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let tail: Uint8Array = new Uint8Array(0);
  return new TransformStream({
    transform(chunk, controller) {
      const end = lastEventEnd(tail, chunk);
      if (end < 0) {
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
      } else {
        const head = chunk.subarray(0, end);
        controller.enqueue(pending.length === 0 ? head : concatBytes([...pending, head]));
        const rest = chunk.subarray(end);
        pending = rest.byteLength > 0 ? [rest] : [];
        pendingBytes = rest.byteLength;
      }
      if (pendingBytes > maxEventBytes) {
        pending = [];
        controller.error(eventTooLarge(maxEventBytes));
        return;
      }
      // The stream's last bytes, where a boundary split across two chunks begins.
      tail = chunk.byteLength >= 3 ? chunk.subarray(-3) : concatBytes([tail, chunk]).subarray(-3);
    },
    flush(controller) {
      if (pendingBytes > 0) controller.enqueue(concatBytes(pending));
    },
  });
}

/**
 * `fetch` whose event-stream responses arrive re-cut by {@link eventChunker}; every other response
 * (JSON answers, errors) passes untouched.
 *
 * @param base - the fetch to wrap
 * @defaultValue `base`: `globalThis.fetch` as it is at each call, not as it was when this module
 * loaded: a `fetch` replaced later (instrumentation, a test's spy) still sees the SDK's requests.
 */
export function guardedFetch(base?: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await (base ?? globalThis.fetch)(input, init);
    const type = response.headers.get("content-type");
    if (response.body === null || type === null || !type.includes("event-stream")) return response;
    return new Response(response.body.pipeThrough(eventChunker()), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

function silent(): void {}

/**
 * The openai SDK's logger for registry models: its one `error`-level message prints an upstream's
 * malformed line raw to the console (`Could not parse message into JSON`, then throws); that failure
 * reaches the caller as `upstream_malformed` instead. Other levels go to the console, as the SDK's
 * default logger does (`OPENAI_LOG` still sets the level).
 */
export const quietLogger = {
  error: silent,
  warn: (...args: unknown[]) => console.warn(...args),
  info: (...args: unknown[]) => console.info(...args),
  debug: (...args: unknown[]) => console.debug(...args),
};
