import { concatBytes } from "../bytes.js";
import { MAX_STDIN_QUERY_BYTES } from "../defaults.js";
import { usageError } from "./cli-error.js";

/**
 * True when the query comes from stdin: the argument is `-`, or there is none and stdin is not a
 * terminal (`echo hi | completion-chain`). With no argument on a terminal it does not: waiting for
 * typing nobody knows is expected would look like a hang, so that stays a usage error.
 *
 * @param positionals - the command's arguments besides its flags
 * @param isTTY - whether stdin is a terminal
 * @example
 * ```ts
 * queryFromStdin([], false); // true
 * queryFromStdin([], true); // false
 * ```
 */
export function queryFromStdin(
  positionals: readonly string[],
  isTTY: boolean | undefined,
): boolean {
  if (positionals.length === 0) return isTTY !== true;
  return positionals.length === 1 && positionals[0] === "-";
}

/**
 * Reads the query from stdin: UTF-8, at most `limit` bytes (reading stops past it), one trailing
 * line break dropped (`echo` adds it).
 *
 * @param input - stdin, or any stream of bytes
 * @param limit - the most bytes read
 * @defaultValue `limit`: `MAX_STDIN_QUERY_BYTES` (1 MiB)
 * @throws CliError (exit 2) when the input is over the limit, not UTF-8, or empty
 * @example
 * ```ts
 * const query = await readStdinQuery(process.stdin);
 * ```
 */
export async function readStdinQuery(
  input: AsyncIterable<Uint8Array | string>,
  limit = MAX_STDIN_QUERY_BYTES,
): Promise<string> {
  const parts: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early destroys the stream: nothing past the limit is read.
  for await (const chunk of input) {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
    size += bytes.byteLength;
    if (size > limit) usageError(`the query on stdin is over ${describeBytes(limit)} (the limit)`);
    parts.push(bytes);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(concatBytes(parts));
  } catch {
    usageError("the query on stdin is not valid UTF-8");
  }
  text = text.replace(/\r?\n$/, "");
  if (text.trim() === "")
    usageError('no query: stdin was empty (give it as an argument, e.g. completion-chain "hello")');
  return text;
}

function describeBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MiB` : `${bytes} bytes`;
}
