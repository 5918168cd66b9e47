import { availableParallelism } from "node:os";
import { MAX_TIMEOUT_MS, MAX_WORKERS } from "../defaults.js";
import { REQUEST_FIELDS } from "../fields.js";
import { suggest } from "../suggest.js";
import { usageError } from "./cli-error.js";

/** The flags both commands take: the model and its endpoint, the prompt, the time limit, help. */
export const COMMON_FLAGS = {
  model: { type: "string" },
  prompt: { type: "string" },
  "base-url": { type: "string" },
  kind: { type: "string" },
  config: { type: "string" },
  "prompts-dir": { type: "string" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

const UNKNOWN_OPTION = /^Unknown option '([^']+)'/;

/** The flag meant: a field's option or body name (`--prompt-name`, `--model_name`) gives its flag. */
function nearestFlag(name: string, flags: readonly string[]): string | undefined {
  const folded = name.toLowerCase().replace(/[-_]/g, "");
  const field = REQUEST_FIELDS.find(
    (field) =>
      "flag" in field &&
      [field.option, field.body].some((alias) => alias.toLowerCase().replace(/_/g, "") === folded),
  );
  if (field && "flag" in field && flags.includes(field.flag)) return field.flag;
  return suggest(name, flags);
}

/**
 * Turns what `parseArgs` threw into a one-line usage error. An unknown flag gets the nearest known
 * one: `unknown option --max-token; did you mean --max-tokens? (see --help)`; `parseArgs`'s own
 * text for it runs on about a quoting rule.
 *
 * @param error - what `parseArgs` threw
 * @param flags - the command's flags, by long name without dashes
 * @param help - where to look, e.g. `"--help"` or `"serve --help"`
 * @param query - the command takes a query, which may start with a dash
 * @throws CliError (exit 2), always
 * @example
 * ```ts
 * try { parseArgs(config); } catch (error) { parseFailure(error, Object.keys(config.options), "--help", true); }
 * ```
 */
export function parseFailure(
  error: unknown,
  flags: readonly string[],
  help: string,
  query = false,
): never {
  const message = error instanceof Error ? error.message : String(error);
  const unknown =
    (error as { code?: unknown }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
      ? UNKNOWN_OPTION.exec(message)?.[1]
      : undefined;
  if (unknown === undefined) usageError(`${message} (see ${help})`);
  const near = unknown.startsWith("--") ? nearestFlag(unknown.slice(2), flags) : undefined;
  if (near !== undefined)
    usageError(`unknown option ${unknown}; did you mean --${near}? (see ${help})`);
  const hint = query ? `; a query that starts with "-" goes after --, as in -- "${unknown}"` : "";
  usageError(`unknown option ${unknown} (see ${help}${hint})`);
}

// A value like "-3" reads to parseArgs as an option of its own, so `--max-tokens -3` failed with a
// three-line "argument is ambiguous" error while `--max-tokens=-3` worked.
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * Joins `--flag -3` into `--flag=-3` for the numeric flags, so that a negative number is read as the
 * flag's value; a bad value then gets the flag's own message ("must be positive") rather than a
 * parser error. Arguments after `--` are left alone.
 *
 * @param argv - the command's arguments
 * @param numeric - names of the flags that take a number, without the dashes
 * @example
 * ```ts
 * joinNegativeNumbers(["hi", "--max-tokens", "-3"], ["max-tokens"]); // ["hi", "--max-tokens=-3"]
 * ```
 */
export function joinNegativeNumbers(argv: readonly string[], numeric: readonly string[]): string[] {
  const joined: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    if (arg === "--") {
      joined.push(...argv.slice(index));
      break;
    }
    const next = argv[index + 1];
    if (
      arg.startsWith("--") &&
      numeric.includes(arg.slice(2)) &&
      next !== undefined &&
      NEGATIVE_NUMBER.test(next)
    ) {
      joined.push(`${arg}=${next}`);
      index += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/**
 * Parses a numeric flag.
 *
 * @param value - the flag's text, `undefined` when absent
 * @param flag - its name for the message, e.g. `"--max-tokens"`
 * @returns the number, or `undefined` when the flag is absent
 * @throws CliError (exit 2) `--max-tokens must be a number, got "ten"`
 * @example
 * ```ts
 * numberFlag("-3", "--max-tokens"); // -3
 * ```
 */
export function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number))
    usageError(`${flag} must be a number, got ${JSON.stringify(value)}`);
  return number;
}

/**
 * Parses a duration flag given in seconds (decimals allowed) into milliseconds.
 *
 * @param value - the flag's text, `undefined` when absent
 * @param flag - its name for the message, e.g. `"--timeout"`
 * @returns milliseconds (at least 1), or `undefined` when the flag is absent
 * @throws CliError (exit 2) when the value is not a positive number, or exceeds what a Node timer can wait
 * @example
 * ```ts
 * secondsFlag("1.5", "--timeout"); // 1500
 * ```
 */
export function secondsFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds <= 0)
    usageError(`${flag} must be a positive number of seconds, got ${JSON.stringify(value)}`);
  // Node fires a longer timer at once (it only holds 2^31 - 1 ms).
  const max = Math.floor(MAX_TIMEOUT_MS / 1000);
  if (seconds > max)
    usageError(
      `${flag} must be at most ${max} seconds (about 24 days), got ${JSON.stringify(value)}`,
    );
  return Math.max(1, Math.round(seconds * 1000));
}

/**
 * Parses `serve --workers`: how many processes serve the port.
 *
 * @param value - the flag's text, `undefined` when absent
 * @returns 1 when absent; the number of cores for `"auto"`
 * @throws CliError (exit 2) when the value is neither `auto` nor an integer 1..256
 * @example
 * ```ts
 * workersFlag("4"); // 4
 * ```
 */
export function workersFlag(value: string | undefined): number {
  if (value === undefined) return 1;
  if (value === "auto") return Math.min(availableParallelism(), MAX_WORKERS);
  const workers = Number(value);
  if (!/^\d+$/.test(value) || workers < 1 || workers > MAX_WORKERS)
    usageError(
      `--workers must be an integer 1..${MAX_WORKERS} or "auto", got ${JSON.stringify(value)}`,
    );
  return workers;
}
