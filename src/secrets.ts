/**
 * Keeping API keys out of every message, stack, `cause`, `util.inspect` output, JSON and log line.
 * Redaction happens where an error is made — by the run that holds the model, which knows its keys —
 * so that no printer further on can leak one.
 *
 * @packageDocumentation
 */

/** Placeholders that local servers accept and that are not secrets. */
const PLACEHOLDERS = new Set(["EMPTY", "none", "None", "null", "sk-no-key-required"]);

/** A key shorter than this is not redacted by value (it would blank out common words). */
const MIN_SECRET_LENGTH = 4;

/**
 * The one list of field names that hold a secret: keys and tokens (LangChain models, SDK clients,
 * config files), secrets, passwords, an `Authorization` header. `token(?!s)`: `maxTokens` is a count.
 */
const KEY_FIELD = /api_?key|token(?!s)|secret|password|authorization/i;

/** Field names that hold an endpoint URL, which may carry `user:password@`. */
const URL_FIELD = /baseURL/i;

/**
 * True for a field whose value is never printed, not even in a validation message: a key-holding
 * field, or a URL.
 *
 * @param name - a field name, or one step of a path to a field
 * @example
 * ```ts
 * isUnprintedField("apiKey"); // true
 * isUnprintedField("maxTokens"); // false
 * ```
 */
export function isUnprintedField(name: string): boolean {
  return KEY_FIELD.test(name) || URL_FIELD.test(name);
}

/**
 * OpenAI echoes part of a rejected key ("Incorrect API key provided: sk-abc…xyz"), some proxies
 * echo the whole `Authorization` header, and a URL may carry `user:password@`: these forms are
 * blanked whatever key they hold, known to us or not.
 */
const PATTERNS: readonly [RegExp, string][] = [
  [/\bsk-[A-Za-z0-9_*.-]{4,}/g, "sk-***"],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=*-]{4,}/gi, "$1 ***"],
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@"']*@/gi, "$1***@"],
];

/**
 * `text` with every secret replaced by `***`, and every key-shaped or credential-shaped part
 * blanked (see {@link PATTERNS}).
 *
 * @param text - any text about to be kept in an error or printed
 * @param secrets - the keys known to the caller
 * @example
 * ```ts
 * redact("401 for key abcd-1234", ["abcd-1234"]); // "401 for key ***"
 * ```
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // fetch strips the whitespace around a header value (a key read from a file keeps its "\n"),
    // so an endpoint echoes the trimmed form.
    for (const form of [secret, secret.trim()]) {
      if (form.length >= MIN_SECRET_LENGTH && out.includes(form)) out = out.split(form).join("***");
    }
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Own fields of an error worth keeping on its redacted copy. */
const KEPT_FIELDS = ["status", "code", "type", "param", "errno", "syscall", "lc_error_code"];

/**
 * A copy of `error` fit to keep as a `cause`: its name, message, stack and the scalar fields callers
 * switch on (`status`, `code`, `type`…), every string redacted, and its own `cause` copied the same
 * way (8 levels at most). The original is not kept: its other fields — an SDK's request options,
 * headers, a response body — are what `util.inspect` would print, keys included.
 *
 * @param error - anything thrown
 * @param secrets - the keys known to the caller
 * @example
 * ```ts
 * new CompletionError("upstream_error", message, { cause: redactedCopy(error, secrets) });
 * ```
 */
export function redactedCopy(error: unknown, secrets: readonly string[], depth = 0): unknown {
  if (error === undefined || error === null) return error;
  if (typeof error !== "object" && typeof error !== "function") {
    return typeof error === "string" ? redact(error, secrets) : error;
  }
  const source = error as Record<string, unknown> & { message?: unknown; stack?: unknown };
  const message = typeof source.message === "string" ? source.message : safeString(error);
  const copy = new Error(redact(message, secrets)) as Error & Record<string, unknown>;
  const name = source.name;
  if (typeof name === "string") copy.name = redact(name, secrets);
  copy.stack =
    typeof source.stack === "string"
      ? redact(source.stack, secrets)
      : `${copy.name}: ${copy.message}`;
  for (const field of KEPT_FIELDS) {
    const value = readField(source, field);
    if (typeof value === "string") copy[field] = redact(value, secrets);
    else if (typeof value === "number" || typeof value === "boolean") copy[field] = value;
  }
  const cause = readField(source, "cause");
  if (cause !== undefined && depth < 8 && cause !== error) {
    copy.cause = redactedCopy(cause, secrets, depth + 1);
  }
  return copy;
}

function readField(source: object, field: string): unknown {
  try {
    return (source as Record<string, unknown>)[field];
  } catch {
    return undefined; // a throwing getter
  }
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "[unprintable value]";
  }
}

/**
 * Adds to `keys` the secrets `holder`'s own key-holding fields (`apiKey`, `openAIApiKey`,
 * `Authorization`…) hold; a throwing getter is skipped.
 *
 * @param holder - a model, its SDK client, its client configuration; anything else is ignored
 * @param keys - where the secrets found go
 */
export function collectKeys(holder: unknown, keys: Set<string>): void {
  if (typeof holder !== "object" || holder === null) return;
  for (const name of Object.keys(holder)) {
    if (!KEY_FIELD.test(name)) continue;
    const value = readField(holder, name);
    if (typeof value === "string" && isSecret(value)) keys.add(value);
  }
}

/** True for a value worth redacting: long enough, and not a well-known placeholder. */
export function isSecret(value: string): boolean {
  return value.length >= MIN_SECRET_LENGTH && !PLACEHOLDERS.has(value);
}

/**
 * `url` without its `user:password@` part, for messages; unparsable text is redacted instead.
 *
 * @param url - an endpoint URL
 * @example
 * ```ts
 * withoutCredentials("http://me:pw@127.0.0.1:8000/v1"); // "http://127.0.0.1:8000/v1"
 * ```
 */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return redact(url);
  }
}
