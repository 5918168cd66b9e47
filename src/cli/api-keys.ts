/**
 * The keys `completion-chain serve` requires of its clients, and the warning for a server open to
 * the network without one. No message here repeats a key.
 *
 * @packageDocumentation
 */

import { isUsableApiKey } from "../http/auth.js";
import { redact } from "../secrets.js";
import { usageError } from "./cli-error.js";
import { readFlagFile } from "./config-file.js";

/** The environment variable holding the server's keys, comma-separated. */
export const API_KEY_ENV = "COMPLETION_CHAIN_API_KEY";

/** The flags that give keys. */
export interface ApiKeyFlags {
  "api-key"?: string[] | undefined;
  "api-key-file"?: string[] | undefined;
}

function check(key: string, where: string): string {
  if (!isUsableApiKey(key))
    usageError(
      `${where}: a key must be visible ASCII characters, without spaces or control characters`,
    );
  return key;
}

async function keysInFile(path: string): Promise<string[]> {
  const where = `--api-key-file ${path}`;
  const text = await readFlagFile(path, where);
  const keys: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const key = line.trim();
    if (key !== "" && !key.startsWith("#")) keys.push(check(key, `${where}, line ${index + 1}`));
  });
  if (keys.length === 0) usageError(`${where}: holds no key (one per line)`);
  return keys;
}

/**
 * The keys clients must send: those of `--api-key` and `--api-key-file` together when either is
 * given (the flags replace the environment, as `--base-url` replaces `OPENAI_BASE_URL`), else
 * `COMPLETION_CHAIN_API_KEY`'s, comma-separated. A variable that is set but holds no key is an
 * error rather than an open server (`KEY=${UNSET_VAR}` in a compose file).
 *
 * @param flags - `--api-key`, `--api-key-file`
 * @param env - where `COMPLETION_CHAIN_API_KEY` is read
 * @throws CliError (exit 2) naming the flag, file line or variable, never the key
 * @example
 * ```ts
 * await serverApiKeys({}, { COMPLETION_CHAIN_API_KEY: "k1,k2" }); // ["k1", "k2"]
 * ```
 */
export async function serverApiKeys(
  flags: ApiKeyFlags,
  env: Record<string, string | undefined> = process.env,
): Promise<string[]> {
  const given = flags["api-key"] ?? [];
  const files = flags["api-key-file"] ?? [];
  if (given.length > 0 || files.length > 0) {
    const keys = given.map((key, index) => check(key, `--api-key (the ${ordinal(index)})`));
    for (const file of files) keys.push(...(await keysInFile(file)));
    return keys;
  }
  const variable = env[API_KEY_ENV];
  if (variable === undefined) return [];
  const keys = variable
    .split(",")
    .map((key) => key.trim())
    .filter((key) => key !== "");
  if (keys.length === 0)
    usageError(`$${API_KEY_ENV} is set but holds no key (unset it to serve without one)`);
  return keys.map((key, index) => check(key, `$${API_KEY_ENV} (the ${ordinal(index)} key)`));
}

const ordinal = (index: number) => {
  const n = index + 1;
  const suffix =
    n % 10 === 1 && n !== 11
      ? "st"
      : n % 10 === 2 && n !== 12
        ? "nd"
        : n % 10 === 3 && n !== 13
          ? "rd"
          : "th";
  return `${n}${suffix}`;
};

/**
 * A command-line parser's message with every key it could hold blanked: the values after
 * `--api-key`, the environment's keys, and an unexpected argument (parseArgs quotes it, and in
 * `serve --api-key k1 k2` it is a key whose flag was forgotten; `serve` takes no arguments anyway).
 *
 * @param message - the parser's message
 * @param argv - the arguments it was given
 * @param env - where `COMPLETION_CHAIN_API_KEY` is read
 * @example
 * ```ts
 * withoutKeys("Unexpected argument 'k2'. This command…", ["--api-key", "k1", "k2"]);
 * ```
 */
export function withoutKeys(
  message: string,
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): string {
  const secrets = (env[API_KEY_ENV] ?? "").split(",").map((key) => key.trim());
  argv.forEach((arg, index) => {
    if (arg === "--api-key") secrets.push(argv[index + 1] ?? "");
    else if (arg.startsWith("--api-key=")) secrets.push(arg.slice("--api-key=".length));
  });
  const unquoted = message.replace(/^Unexpected argument '[\s\S]*?'\. /, "Unexpected argument. ");
  return redact(unquoted, secrets);
}

/** True for an address only this machine reaches: 127.0.0.0/8, `::1` (also IPv4-mapped), `localhost`. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  let name: string;
  try {
    // The URL parser normalizes the spellings: "127.1" → 127.0.0.1, "0:0::1" → [::1].
    name = new URL(`http://${bare.includes(":") ? `[${bare}]` : bare}`).hostname;
  } catch {
    return false;
  }
  return (
    name === "localhost" ||
    name === "[::1]" ||
    /^127\.\d+\.\d+\.\d+$/.test(name) ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(name)
  );
}

/**
 * The startup warning for a server that answers other machines without a key, or `undefined`.
 *
 * @param url - the server's URL, from the address it is bound to
 * @param keys - the keys it requires
 */
export function exposureWarning(url: string, keys: readonly string[]): string | undefined {
  const { hostname, port } = new URL(url);
  if (keys.length > 0 || isLoopback(hostname)) return undefined;
  return `completion-chain: warning: listening on ${hostname} without an API key: anyone who can reach port ${port} can use your model endpoint (and its quota) and read the answers; set $${API_KEY_ENV} or --api-key-file`;
}
