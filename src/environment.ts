/**
 * The process environment where there is one. Edge runtimes may have no `process` at all; there the
 * library reads no environment and every setting comes from its options.
 *
 * @packageDocumentation
 */

/** `process.env`, or an empty environment on runtimes without `process`. */
export function processEnv(): Record<string, string | undefined> {
  return globalThis.process?.env ?? {};
}
