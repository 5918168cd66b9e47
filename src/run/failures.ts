/**
 * Turning whatever the model stack threw into a {@link CompletionError}, keys redacted, where the
 * error is made.
 *
 * @packageDocumentation
 */

import { CompletionError, isCompletionError } from "../errors.js";
import { redact, redactedCopy, withoutCredentials } from "../secrets.js";

/** What {@link toCompletionError} knows about the run that failed. */
export interface ErrorContext {
  /** Keys that must appear nowhere: message, stack, `cause`. */
  secrets?: readonly string[];
  /** The model endpoint, named when it cannot be reached (credentials are removed). */
  endpoint?: string | undefined;
}

/** The `code` an {@link UpstreamEventTooLarge} error carries, read by {@link toCompletionError}. */
export const EVENT_TOO_LARGE = "COMPLETION_CHAIN_EVENT_TOO_LARGE";

/**
 * The error an upstream event over `maxEventBytes` fails its stream with (read as
 * `upstream_malformed`): from the SDK's guarded fetch (`upstream-fetch.ts`) and from the node
 * transport's parser alike.
 */
export function eventTooLarge(maxEventBytes: number): Error {
  const error = new Error(
    `an event of over ${maxEventBytes} bytes without an end (the limit for one line)`,
  ) as Error & { code: string };
  error.code = EVENT_TOO_LARGE;
  return error;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Node's codes for a header value it refuses (the node transport's request, `node:http`). */
const INVALID_HEADER_CODES = new Set(["ERR_INVALID_CHAR", "ERR_HTTP_INVALID_HEADER_VALUE"]);

function chainOf(error: unknown): unknown[] {
  const seen: unknown[] = [];
  let current = error;
  while (current !== undefined && current !== null && !seen.includes(current) && seen.length < 8) {
    seen.push(current);
    current = field(current, "cause");
  }
  return seen;
}

/**
 * True for the expiry of a request's own timeout (openai-node's, or the node transport's, up to the
 * response headers): `APIConnectionTimeoutError`, or the `TimeoutError` LangChain rewraps it as.
 */
export function isRequestTimeout(error: unknown): boolean {
  const ctor = (error as { constructor?: { name?: string } } | null)?.constructor?.name;
  return ctor === "APIConnectionTimeoutError" || field(error, "name") === "TimeoutError";
}

function isHttpStatus(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 100 && value <= 599;
}

function field(value: unknown, key: string): unknown {
  if (typeof value !== "object" || value === null) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * What `addLangChainErrorFields` (in `@langchain/core` and `@langchain/openai` 1.x) appends to
 * the message of an HTTP 401, 404 or 429 from the endpoint, an `INVALID_TOOL_RESULTS` 400 and a
 * template that fails to render: a blank line and a documentation link. A message is one line.
 */
const TROUBLESHOOTING_URL = /\s*Troubleshooting URL: \S*\s*$/;

/**
 * The message of `error` without LangChain's troubleshooting link.
 *
 * @example
 * ```ts
 * messageOf(new Error("401 Unauthorized\n\nTroubleshooting URL: https://…/MODEL_AUTHENTICATION/\n")); // "401 Unauthorized"
 * ```
 */
export function messageOf(error: unknown): string {
  let message: string;
  try {
    message = error instanceof Error ? error.message : String(error);
  } catch {
    return "[unprintable error]";
  }
  return typeof message === "string" ? message.replace(TROUBLESHOOTING_URL, "") : String(message);
}

/**
 * Turns what the model stack threw into a {@link CompletionError} whose message, stack and `cause`
 * (a redacted copy, see `redactedCopy`) hold no key. The shapes recognised are those of openai-node
 * v6 (`APIError` with `status`, `APIConnectionError`, a mid-stream `APIError` without status for an
 * `{"error":…}` chunk, a `SyntaxError` from `JSON.parse` of a bad chunk), undici's
 * `TypeError: terminated` when the socket drops while the body is read, and the upstream guard's
 * event-too-large error.
 *
 * @param error - anything thrown
 * @param context - the keys to redact and the endpoint to name
 * @example
 * ```ts
 * throw toCompletionError(error, { secrets: ["sk-…"], endpoint: "http://127.0.0.1:8000/v1" });
 * ```
 */
export function toCompletionError(error: unknown, context: ErrorContext = {}): CompletionError {
  if (isCompletionError(error)) return error;
  const secrets = context.secrets ?? [];
  const message = redact(messageOf(error), secrets);
  const cause = redactedCopy(error, secrets);
  const links = chainOf(error);
  const make = (code: CompletionError["code"], text: string, status?: number) =>
    new CompletionError(code, text, status === undefined ? { cause } : { cause, status });

  if (
    links.some(
      (link) =>
        (link instanceof TypeError && /invalid header value/i.test(link.message)) ||
        INVALID_HEADER_CODES.has(String(field(link, "code"))),
    )
  ) {
    return make(
      "invalid_options",
      "The API key (or another request header) holds a character HTTP headers cannot carry, such as a line break",
    );
  }
  if (links.some((link) => field(link, "code") === EVENT_TOO_LARGE)) {
    return make("upstream_malformed", `The model endpoint sent malformed data: ${message}`);
  }
  // Before the network codes: the socket that dropped mid-stream may carry one (ECONNRESET) as
  // the cause of its `terminated`.
  if (
    links.some(
      (link) =>
        (link instanceof TypeError && link.message === "terminated") ||
        String(field(link, "code")).startsWith("UND_ERR_SOCKET"),
    )
  ) {
    return make(
      "upstream_incomplete",
      `The connection to the model endpoint dropped mid-stream: ${message}`,
    );
  }
  // The error's own, else its cause's: LangChain makes an upstream 400 that reads as a context
  // overflow a `ContextOverflowError` with no status of its own, the APIError as its `cause`
  // (`wrapOpenAIClientError`, @langchain/openai 1.5 utils/client.js).
  const status = links.map((link) => field(link, "status")).find(isHttpStatus);
  if (status !== undefined) {
    return make("upstream_error", `The model endpoint answered HTTP ${status}: ${message}`, status);
  }
  const ctor = (error as { constructor?: { name?: string } } | null)?.constructor?.name;
  if (ctor === "APIError" || ctor === "InternalServerError") {
    return make("upstream_error", `The model endpoint sent an error: ${message}`);
  }
  if (
    ctor === "APIConnectionError" ||
    isRequestTimeout(error) ||
    links.some((link) => NETWORK_CODES.has(String(field(link, "code"))))
  ) {
    const where = context.endpoint === undefined ? "" : ` ${withoutCredentials(context.endpoint)}`;
    return make(
      "upstream_unavailable",
      `The model endpoint${where} could not be reached: ${message}`,
    );
  }
  if (error instanceof SyntaxError) {
    return make("upstream_malformed", `The model endpoint sent malformed data: ${message}`);
  }
  return make("internal", message);
}

/** How a run ended in failure, for {@link runFailure}. */
export interface RunFailureContext extends ErrorContext {
  /** The run's own time limit ran out, one of its signals aborted it, or the model stack failed. */
  why: "timeout" | "aborted" | "failed";
  /** The abort reason, when aborted. */
  reason: unknown;
  /** The run's time limit in ms, for the message. */
  timeout: number;
}

/**
 * The error a run ends with: `upstream_timeout` when its time limit ran out, `aborted` when one of
 * its signals did (whatever the SDK threw on the way), else what {@link toCompletionError} makes of
 * the model stack's error.
 *
 * @param error - what the model stack threw, if anything
 * @param context - why the run ended, and the keys and endpoint to redact and name
 */
export function runFailure(error: unknown, context: RunFailureContext): CompletionError {
  const secrets = context.secrets ?? [];
  if (context.why === "timeout") {
    const where = context.endpoint === undefined ? "" : ` ${withoutCredentials(context.endpoint)}`;
    return new CompletionError(
      "upstream_timeout",
      `The model endpoint${where} sent nothing for ${context.timeout} ms (the \`timeout\`); the request was aborted`,
    );
  }
  if (context.why === "aborted") {
    return new CompletionError("aborted", "The completion was aborted by its signal.", {
      cause: redactedCopy(context.reason ?? error, secrets),
    });
  }
  return toCompletionError(error, context);
}

/**
 * `_callWithConfig` races the run with the config's signal and rejects with the signal's bare
 * reason when it aborts first (`raceWithSignal` in `@langchain/core` 1.4): that becomes `aborted`.
 */
export function abortedBySignal(error: unknown, signal: AbortSignal | undefined): unknown {
  if (isCompletionError(error) || signal?.aborted !== true) return error;
  return new CompletionError("aborted", "The completion was aborted by its signal.", {
    cause: signal.reason,
  });
}
