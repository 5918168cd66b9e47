import { CompletionError, isCompletionError } from "./errors.js";

/** What {@link toCompletionError} knows about the run that failed. */
export interface ErrorContext {
  /** The caller's signal: when it is aborted, any failure is reported as `aborted`. */
  signal?: AbortSignal | undefined;
  /** Strings (API keys) that must never appear in a message; replaced by `***`. */
  secrets?: readonly string[];
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

function chainOf(error: unknown): unknown[] {
  const seen: unknown[] = [];
  let current = error;
  while (current !== undefined && current !== null && !seen.includes(current) && seen.length < 8) {
    seen.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return seen;
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** Replaces every secret in `text` by `***`. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("***");
  // OpenAI echoes part of a rejected key ("Incorrect API key provided: sk-abc…xyz"); drop it too.
  return out.replace(/\bsk-[A-Za-z0-9_*.-]{4,}/g, "sk-***");
}

/**
 * Turns whatever the model stack threw into a {@link CompletionError}. The shapes recognised are
 * those of openai-node v6 (`APIError` with `status`, `APIConnectionError`, a mid-stream `APIError`
 * without status for an `{"error":…}` chunk, a `SyntaxError` from `JSON.parse` of a bad chunk) and
 * undici's `TypeError: terminated` when the socket drops while the body is read.
 */
export function toCompletionError(error: unknown, context: ErrorContext = {}): CompletionError {
  if (isCompletionError(error)) return error;
  const secrets = context.secrets ?? [];
  if (context.signal?.aborted) {
    return new CompletionError("aborted", "The completion was aborted by its signal.", {
      cause: context.signal.reason ?? error,
    });
  }
  const message = redact(error instanceof Error ? error.message : String(error), secrets);
  const links = chainOf(error);

  const status = field(error, "status");
  if (typeof status === "number") {
    return new CompletionError(
      "upstream_error",
      `The model endpoint answered HTTP ${status}: ${message}`,
      {
        cause: error,
        status,
      },
    );
  }
  const name = field(error, "name");
  const ctor = (error as { constructor?: { name?: string } } | null)?.constructor?.name;
  if (ctor === "APIError" || ctor === "InternalServerError") {
    return new CompletionError("upstream_error", `The model endpoint sent an error: ${message}`, {
      cause: error,
    });
  }
  if (
    ctor === "APIConnectionError" ||
    ctor === "APIConnectionTimeoutError" ||
    name === "TimeoutError" ||
    links.some((link) => NETWORK_CODES.has(String(field(link, "code"))))
  ) {
    return new CompletionError(
      "upstream_unavailable",
      `The model endpoint could not be reached: ${message}`,
      {
        cause: error,
      },
    );
  }
  if (error instanceof SyntaxError) {
    return new CompletionError(
      "upstream_malformed",
      `The model endpoint sent malformed data: ${message}`,
      {
        cause: error,
      },
    );
  }
  if (
    links.some(
      (link) =>
        (link instanceof TypeError && link.message === "terminated") ||
        String(field(link, "code")).startsWith("UND_ERR_SOCKET"),
    )
  ) {
    return new CompletionError(
      "upstream_incomplete",
      `The connection to the model endpoint dropped mid-stream: ${message}`,
      { cause: error },
    );
  }
  return new CompletionError("internal", message, { cause: error });
}
