/**
 * Server-sent-event framing byte-compatible with sse-starlette 1.8 (`ServerSentEvent.encode`), what
 * the Python original answers with: `\r\n` line ends, one `data:` line per line of the payload.
 *
 * @packageDocumentation
 */

// sse-starlette splits data on this expression; a lone `\r` and `\r\n` therefore both come back as
// `\n` from any SSE parser (which joins `data:` lines with `\n`). `?format=json` is lossless.
const LINE_BREAK = /\r\n|\r|\n/;

/** The framing of a token: the original's raw text, or `{"text": …}` JSON (lossless). */
export type SseFormat = "text" | "json";

/**
 * One event, exactly as sse-starlette encodes it.
 *
 * @param data - the payload; split into one `data:` line per line
 * @param event - the event type line, if any
 * @example
 * ```ts
 * encodeEvent("a\nb"); // "data: a\r\ndata: b\r\n\r\n"
 * ```
 */
export function encodeEvent(data: string, event?: string): string {
  let out = event === undefined ? "" : `event: ${event}\r\n`;
  // Fast path for the common single-line token; split() allocates.
  if (!data.includes("\n") && !data.includes("\r")) return `${out}data: ${data}\r\n\r\n`;
  for (const line of data.split(LINE_BREAK)) out += `data: ${line}\r\n`;
  return `${out}\r\n`;
}

/** One token in the chosen framing. */
export function encodeToken(token: string, format: SseFormat): string {
  return format === "json"
    ? `data: ${JSON.stringify({ text: token })}\r\n\r\n`
    : encodeEvent(token);
}

/**
 * The opt-in last frame (`?end=1`): `event: end\r\ndata: \r\n\r\n`, sent once after the last token
 * of a stream that finished. sse-starlette sends no end marker, so an `EventSource` reconnects (and
 * re-runs the request) when the stream closes; this frame lets such a client close on purpose. Never
 * sent after an `event: error` frame.
 */
export const END_FRAME = "event: end\r\ndata: \r\n\r\n";

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/**
 * Python's `str(datetime.utcnow())`: `2026-11-25 06:05:44.123456`, the fraction left out when the
 * microseconds are zero, as Python does.
 */
export function pythonUtcNow(epochMs: number = performance.timeOrigin + performance.now()): string {
  const whole = Math.floor(epochMs);
  const date = new Date(whole);
  const micros = Math.floor((epochMs - whole) * 1000) + date.getUTCMilliseconds() * 1000;
  const base = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  return micros === 0 ? base : `${base}.${pad(micros, 6)}`;
}

/** The keep-alive comment sse-starlette sends every 15 s: `: ping - <utc time>\r\n\r\n`. */
export function pingComment(epochMs?: number): string {
  return `: ping - ${pythonUtcNow(epochMs)}\r\n\r\n`;
}
