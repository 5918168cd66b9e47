/**
 * Reading a run to its end: as one string, or as a generator that always yields something.
 *
 * @packageDocumentation
 */

/** Every token of `tokens`, concatenated: the whole answer. */
export async function concatenate(tokens: AsyncIterator<string>): Promise<string> {
  let text = "";
  for (;;) {
    const result = await tokens.next();
    if (result.done) return text;
    text += result.value;
  }
}

/**
 * A run's tokens (a `CompletionRun`) as a generator; `""` alone when there are none (a pipeline's `invoke()`
 * concatenates the chunks, and with none would get `undefined`). Leaving early returns the run.
 */
export async function* drain(
  run: AsyncIterator<string> & { return(): Promise<unknown> },
): AsyncGenerator<string> {
  let any = false;
  try {
    for (;;) {
      const result = await run.next();
      if (result.done) break;
      any = true;
      yield result.value;
    }
  } finally {
    await run.return();
  }
  if (!any) yield "";
}
