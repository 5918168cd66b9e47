/**
 * The exit codes of `completion-chain`, as documented in both `--help` texts.
 *
 * - `1`: a run-time failure (the model endpoint failed, a port was taken…)
 * - `2`: a usage error, found before anything starts (a bad flag or value, an unknown model or
 *   prompt, a bad config file)
 * - `130`: interrupted (SIGINT, as shells report 128 + 2)
 */
export type ExitCode = 1 | 2 | 130;

/**
 * A failure the CLI reports as one line on stderr before exiting with `exitCode`. Thrown rather
 * than exiting on the spot, so that `finally` blocks close what the command started.
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  /**
   * @param message - one line, without the `completion-chain: ` prefix
   * @param exitCode - see {@link ExitCode}
   * @example
   * ```ts
   * throw new CliError("aborted", 130);
   * ```
   */
  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/**
 * Throws a usage error (exit code 2).
 *
 * @param message - what is wrong and where, e.g. `--port must be 0..65535, got 70000`
 * @example
 * ```ts
 * if (positionals.length !== 1) usageError("expected exactly one query");
 * ```
 */
export function usageError(message: string): never {
  throw new CliError(message, 2);
}

/**
 * The message as one line: messages from `parseArgs`, LangChain or an upstream body may hold line
 * breaks, and a CLI error is one line that scripts can grep.
 *
 * @example
 * ```ts
 * oneLine("Option '--model' argument is ambiguous.\nDid you forget…"); // "Option … ambiguous. Did you forget…"
 * ```
 */
export function oneLine(message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, " ").trim();
}
