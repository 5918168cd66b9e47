import type { RequestLogEntry } from "./handler.js";

/**
 * Formats one access-log line: method, path, status, duration, tokens and the error code, if any —
 * no bodies, no keys. `serveCompletion` logs every request this way.
 *
 * @param entry - what `onRequestEnd` received
 * @example
 * ```ts
 * const handler = createCompletionHandler({ onRequestEnd: (entry) => console.error(formatLogLine(entry)) });
 * ```
 */
export function formatLogLine(entry: RequestLogEntry): string {
  const error = entry.error === undefined ? "" : ` ${entry.error}`;
  return `${entry.method} ${entry.path} ${entry.status} ${Math.round(entry.durationMs)}ms ${entry.tokens} tokens${error}`;
}
