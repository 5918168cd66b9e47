import type { RequestLogEntry } from "./handler.js";

/**
 * Formats one access-log line for people: the time the request ended, then method, path, status,
 * duration, tokens and the error code or disconnect reason, if any (the line of earlier versions,
 * unchanged), then the time to first token and the request id. With `logContent`, the prompt and
 * model names, the query and the answer follow as JSON strings (one line whatever they hold). No
 * keys, no headers. `serveCompletion` logs every request this way with `logFormat: "pretty"`.
 *
 * @param entry - what `onRequestEnd` received
 * @param time - when the request ended
 * @defaultValue `time`: now
 * @example
 * ```ts
 * const handler = createCompletionHandler({ onRequestEnd: (entry) => console.error(formatLogLine(entry)) });
 * // 2026-12-04T07:21:27.123Z POST /other/completion 200 412ms 57 tokens ttft=35ms id=4f1c…
 * ```
 */
export function formatLogLine(entry: RequestLogEntry, time: Date = new Date()): string {
  const parts = [
    time.toISOString(),
    entry.method,
    entry.path,
    entry.status,
    `${Math.round(entry.durationMs)}ms`,
    `${entry.tokens} tokens`,
  ];
  if (entry.error !== undefined) parts.push(entry.error);
  if (entry.ttftMs !== undefined) parts.push(`ttft=${Math.round(entry.ttftMs)}ms`);
  parts.push(`id=${entry.requestId}`);
  for (const field of ["promptName", "modelName", "query", "answer"] as const) {
    const value = entry[field];
    if (value !== undefined) parts.push(`${field}=${JSON.stringify(value)}`);
  }
  if (entry.truncated !== undefined) parts.push(`truncated=${entry.truncated.join(",")}`);
  return parts.join(" ");
}
