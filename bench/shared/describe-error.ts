/**
 * One line for a failure, with its cause chain: Node's fetch throws a bare "fetch failed" and keeps
 * the reason (refused, reset, timed out) in `cause`.
 *
 * @packageDocumentation
 */

/** `TypeError: fetch failed ← ConnectTimeoutError: Connect Timeout Error (…)`. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current !== undefined && parts.length < 4; ) {
    parts.push(String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(" ← ");
}
