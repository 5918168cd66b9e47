/**
 * "Did you mean …?" for a misspelt name: an option key, a config-file key, a CLI flag.
 *
 * @packageDocumentation
 */

/** The name without case, `-` or `_`: `max_tokens`, `max-tokens` and `maxTokens` all read `maxtokens`. */
const folded = (name: string) => name.toLowerCase().replace(/[-_]/g, "");

/** Names longer than this are compared in their folded form only. */
const MAX_LENGTH = 64;

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
function distance(a: string, b: string): number {
  // Optimal string alignment: Levenshtein plus the transposition of two adjacent characters.
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    const row = rows[i] as number[];
    const above = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The known name that `name` most likely meant, or `undefined` when none is close. The same name
 * in another case or separator style (`max_tokens`, `max-tokens`, `MaxTokens` for `maxTokens`) is
 * always suggested; otherwise the nearest name is, when at most 2 edits away (1 for a name of 3
 * characters or fewer) or, for long names, at most a third of the length.
 *
 * @param name - the unknown name as given
 * @param known - the names that exist
 * @example
 * ```ts
 * suggest("max_tokens", ["query", "maxTokens"]); // "maxTokens"
 * suggest("max-token", ["max-tokens", "model"]); // "max-tokens"
 * suggest("colour", ["query", "maxTokens"]); // undefined
 * ```
 */
export function suggest(name: string, known: Iterable<string>): string | undefined {
  const candidates = [...known].filter((candidate) => candidate !== name);
  const exact = candidates.find((candidate) => folded(candidate) === folded(name));
  if (exact !== undefined) return exact;
  const wanted = folded(name);
  // A long name is no typo of a short one, and comparing it costs its length times each name's.
  if (wanted.length > MAX_LENGTH) return undefined;
  const limit = wanted.length <= 3 ? 1 : Math.max(2, Math.floor(wanted.length / 3));
  let best: { candidate: string; edits: number } | undefined;
  for (const candidate of candidates) {
    const edits = distance(wanted, folded(candidate));
    if (edits <= limit && (best === undefined || edits < best.edits)) best = { candidate, edits };
  }
  return best?.candidate;
}
