/**
 * Every failure `completion-chain` reports is a {@link CompletionError} with a literal `code`.
 *
 * @packageDocumentation
 */

/**
 * What went wrong, as a value callers can `switch` on.
 *
 * - `invalid_options`: an option failed validation; `issues` holds the zod issues.
 * - `unknown_prompt`: no template with that name; the message lists the available ones.
 * - `invalid_prompt`: the template could not be parsed or rendered.
 * - `unknown_model`: no model with that name is configured; the message lists the configured ones.
 * - `missing_dependency`: an optional peer (`langchain`, for `provider:model` strings) is not installed.
 * - `upstream_unavailable`: the model endpoint could not be reached (refused, reset, timed out).
 * - `upstream_error`: the endpoint answered with an error (HTTP `status`, or an error chunk mid-stream).
 * - `upstream_malformed`: the endpoint sent data that is not valid JSON / SSE.
 * - `upstream_incomplete`: the stream ended or dropped before the model said it had finished.
 * - `upstream_timeout`: the endpoint sent nothing for `timeout` ms while the run waited on it (for
 *   the response headers, the first token, or the next chunk); the request was aborted.
 * - `aborted`: the caller's `signal` was aborted.
 * - `internal`: anything else; `cause` holds the original.
 */
export type CompletionErrorCode =
  | "invalid_options"
  | "unknown_prompt"
  | "invalid_prompt"
  | "unknown_model"
  | "missing_dependency"
  | "upstream_unavailable"
  | "upstream_error"
  | "upstream_malformed"
  | "upstream_incomplete"
  | "upstream_timeout"
  | "aborted"
  | "internal";

/** One validation problem, shaped like a zod issue (`path` names the field). */
export interface CompletionErrorIssue {
  path: PropertyKey[];
  message: string;
  code?: string;
}

/** Options accepted by the {@link CompletionError} constructor. */
export interface CompletionErrorOptions {
  /** The original error. */
  cause?: unknown;
  /** HTTP status of the upstream answer, for `upstream_error`. */
  status?: number;
  /** Validation issues, for `invalid_options`. */
  issues?: CompletionErrorIssue[];
}

const marker = Symbol.for("completion-chain.CompletionError");

/**
 * The one error class of `completion-chain`.
 *
 * @example
 * ```ts
 * try {
 *   await completion({ query: "hi", temperature: 3 });
 * } catch (error) {
 *   if (isCompletionError(error) && error.code === "invalid_options") console.error(error.message);
 * }
 * ```
 */
export class CompletionError extends Error {
  override readonly name = "CompletionError";
  /** What went wrong; see {@link CompletionErrorCode}. */
  readonly code: CompletionErrorCode;
  /** HTTP status of the upstream answer, when there was one. */
  readonly status: number | undefined;
  /** Validation issues, for `invalid_options`. */
  readonly issues: CompletionErrorIssue[] | undefined;
  /** @internal brand read by {@link isCompletionError}, survives duplicate package copies. */
  readonly [marker] = true;

  /**
   * @param code - what went wrong
   * @param message - one sentence a user can act on; never contains an API key
   * @param options - `cause`, `status`, `issues`
   */
  constructor(code: CompletionErrorCode, message: string, options: CompletionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.issues = options.issues;
  }
}

/**
 * True for a {@link CompletionError} from any copy of this package (does not rely on `instanceof`,
 * since LangChain apps often carry two copies of a dependency).
 *
 * @param value - anything caught
 * @example
 * ```ts
 * if (isCompletionError(error)) switch (error.code) { case "unknown_model": … }
 * ```
 */
export function isCompletionError(value: unknown): value is CompletionError {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[marker] === true
  );
}
