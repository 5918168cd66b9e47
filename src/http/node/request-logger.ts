/**
 * Where `serveCompletion` (and `completion-chain serve`) write their log: one line per request, and
 * the CLI's startup and shutdown messages, as JSON (pino) or as one human line each.
 *
 * @packageDocumentation
 */

import type { Writable } from "node:stream";
import { type Logger, pino } from "pino";
import type { RequestLogEntry } from "../handler-options.js";
import { formatLogLine } from "../log.js";

/** How log lines are written: JSON objects (pino's), or one line for people (`formatLogLine`). */
export type LogFormat = "json" | "pretty";

/** The accepted values of {@link LogFormat}, for `--log-format`. */
export const LOG_FORMATS: readonly LogFormat[] = ["json", "pretty"];

/** A stream the log can go to: `process.stdout` by default. */
export type LogStream = NodeJS.WritableStream & { isTTY?: boolean };

/** Where and how to log. */
export interface ServerLogOptions {
  /** A function receiving each line (no line break), or `false` for none; else `stream`. */
  log?: ((line: string) => void) | false;
  /** @defaultValue `"pretty"` to a terminal or a `log` function, else `"json"` */
  logFormat?: LogFormat;
  /** @defaultValue `process.stdout` */
  stream?: LogStream;
}

/** One server's log. */
export interface ServerLog {
  readonly format: LogFormat;
  /** One request, as it ended. */
  request(entry: RequestLogEntry): void;
  /** A message of the program's own (startup, shutdown): `completion-chain: <msg>` when pretty. */
  note(level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>): void;
  /** Resolves once every line written so far has been handed to the stream; stops watching it. */
  close(): Promise<void>;
}

const DISCONNECTS = new Set(["client_closed", "client_timeout"]);

/**
 * The log of one server: its own pino instance (nothing global, no worker thread) on the stream or
 * the `log` function. The format defaults to JSON unless the lines go to a terminal, or to a
 * function (which got human lines before there was a choice).
 *
 * @param options - the destination and the format
 */
export function createServerLog(options: ServerLogOptions = {}): ServerLog {
  const { log } = options;
  if (log === false) {
    return { format: options.logFormat ?? "json", request() {}, note() {}, close: async () => {} };
  }
  const stream = log === undefined ? (options.stream ?? process.stdout) : undefined;
  const format = options.logFormat ?? (stream?.isTTY === true || log ? "pretty" : "json");
  const write =
    log ??
    ((line: string) => {
      (stream as LogStream).write(`${line}\n`);
    });
  // A reader that went away (`serve | head`) must not crash the server with an unhandled EPIPE.
  const ignore = () => {};
  stream?.on("error", ignore);
  const close = async () => {
    if (stream === undefined) return;
    const writable = stream as Partial<Writable>;
    if (writable.writableEnded !== true && writable.destroyed !== true)
      await new Promise<void>((resolve) => stream.write("", () => resolve()));
    stream.off("error", ignore);
  };
  if (format === "pretty") {
    return {
      format,
      request: (entry) => write(formatLogLine(entry)),
      note: (_level, msg) => write(`completion-chain: ${msg}`),
      close,
    };
  }
  const logger = jsonLogger(stream ?? { write: (line: string) => write(line.replace(/\n$/, "")) });
  return {
    format,
    request: (entry) => logger[levelOf(entry)](jsonFields(entry), "request"),
    note: (level, msg, fields = {}) => logger[level](fields, msg),
    close,
  };
}

function jsonLogger(destination: { write(line: string): unknown }): Logger {
  return pino(
    {
      // ISO time and level names read without a lookup table; the pid tells processes apart.
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      base: { pid: process.pid },
    },
    destination,
  );
}

/** `error` for a failure of ours or the model's, `warn` for a shutdown, else `info`. */
function levelOf(entry: RequestLogEntry): "info" | "warn" | "error" {
  if (entry.error === "shutting_down") return "warn";
  if (entry.status >= 500) return "error";
  if (entry.status < 400 && entry.error !== undefined && !DISCONNECTS.has(entry.error))
    return "error";
  return "info";
}

/** The entry as logged: times rounded to 0.1 ms, a disconnect apart from the error codes. */
function jsonFields(entry: RequestLogEntry): Record<string, unknown> {
  const { requestId, method, path, status, durationMs, tokens, ttftMs, stream, error, ...content } =
    entry;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    requestId,
    method,
    path,
    status,
    durationMs: round(durationMs),
    tokens,
    ...(ttftMs === undefined ? {} : { ttftMs: round(ttftMs) }),
    ...(stream === undefined ? {} : { stream }),
    ...(error === undefined ? {} : DISCONNECTS.has(error) ? { disconnect: error } : { error }),
    ...content,
  };
}
