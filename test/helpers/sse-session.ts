import { type SessionOptions, SseSession } from "../../src/http/session.js";

/**
 * A streaming session over `iterator` as the server makes one, its first result already asked for:
 * pings every minute from now, nothing logged; `options` replaces any of that.
 */
export function sessionOver(
  iterator: AsyncIterator<string>,
  options: Partial<SessionOptions> = {},
): SseSession {
  return new SseSession({
    iterator,
    head: { answer: "", tokens: 0, pending: iterator.next() },
    streaming: true,
    format: "text",
    pingIntervalMs: 60_000,
    clientTimeoutMs: 60_000,
    started: performance.now(),
    shuttingDown: () => false,
    log: () => {},
    ...options,
  });
}
