/**
 * Every default and limit that more than one part states — `completion()` options, the HTTP
 * endpoint, `serveCompletion`, the CLI and its `--help` — written once. The README restates them;
 * test/defaults-documented.test.ts fails when the two drift apart.
 *
 * @packageDocumentation
 */

/** `completion()`'s `stream` and the body's `stream`: one string, not tokens (the original's). */
export const DEFAULT_STREAM = false;

/** `echo` and the body's `echo`: the output does not start with the prompt (the original's). */
export const DEFAULT_ECHO = false;

/** Sampling temperature when none is given (the original's). */
export const DEFAULT_TEMPERATURE = 0.7;

/** The temperature range, both ends included: the original's pydantic `confloat(ge=0.0, le=1.0)`. */
export const TEMPERATURE_RANGE: Readonly<{ min: number; max: number }> = { min: 0, max: 1 };

/** Token limit when none is given (the original's); `null` or `<= 0` means "not sent". */
export const DEFAULT_MAX_TOKENS = 1024;

/** The template used when none is named: `prompts/completion/default.txt`, `{input}`. */
export const DEFAULT_PROMPT_NAME = "default";

/**
 * Milliseconds a library run may wait on the model endpoint (headers, first token, each gap) when
 * neither the call nor the model entry says: the openai SDK's own 10 minutes.
 */
export const DEFAULT_TIMEOUT_MS = 600_000;

/** The same wait under the HTTP endpoint (`timeoutMs`, `serve --timeout`): 2 minutes. */
export const SERVE_TIMEOUT_MS = 120_000;

/** Milliseconds an HTTP client may accept no bytes before it is dropped (`--client-timeout`). */
export const CLIENT_TIMEOUT_MS = 60_000;

/** Milliseconds `close()` (SIGTERM) gives the streams in flight to finish (`--grace`). */
export const GRACE_MS = 10_000;

/** Milliseconds between `: ping` comments, from the start of a response: sse-starlette's 15 s. */
export const PING_INTERVAL_MS = 15_000;

/** The largest request body the endpoint reads; a larger one gets 413. 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The largest query the CLI reads from stdin (`completion-chain -`); a larger one is a usage error. 1 MiB. */
export const MAX_STDIN_QUERY_BYTES = 1024 * 1024;

/** The endpoint's route, the original's. */
export const COMPLETION_PATH = "/other/completion";

/** Interface `serve` binds: this machine only. */
export const SERVE_HOST = "127.0.0.1";

/** Port `serve` listens on: Chatchat's API port. */
export const SERVE_PORT = 7861;

/** The largest timer Node can set (2^31 - 1 ms, ~24.8 days); a larger delay would fire at once. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * With `logContent` (`serve --log-content`), the most of a request's query and of its answer a log
 * entry carries, in UTF-16 code units (64 Ki): past it the text is cut and the field is listed in
 * `truncated`.
 */
export const LOG_CONTENT_MAX_CHARS = 65_536;

/** The most worker processes `serve --workers` starts. */
export const MAX_WORKERS = 256;

/** A template name or category: a plain word, never a path. */
export const PROMPT_NAME_PATTERN: RegExp = /^[A-Za-z0-9_-]+$/;
