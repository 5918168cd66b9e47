/**
 * A signal that aborts when stdout can no longer be written — its reason is the write error, code
 * `EPIPE` when the reader went away (`completion-chain … | head -c 5`). Node ignores SIGPIPE, so
 * such a write fails with an `error` event on `process.stdout`, which without a listener crashes
 * the process with a stack trace. The listener stays for the life of the process: the last write
 * of a run may fail after the run is over.
 *
 * @example
 * ```ts
 * const closed = watchStdout();
 * for await (const token of completion({ query, stream: true, signal: closed })) write(token);
 * ```
 */
export function watchStdout(): AbortSignal {
  const controller = new AbortController();
  process.stdout.on("error", (error) => controller.abort(error));
  return controller.signal;
}

/** True when stdout closed because its reader went away, which is no failure of ours. */
export function isBrokenPipe(reason: unknown): boolean {
  return (reason as NodeJS.ErrnoException | undefined)?.code === "EPIPE";
}
