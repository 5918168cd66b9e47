import { readFile } from "node:fs/promises";
import type { ModelRegistry } from "../models.js";
import { redact } from "../secrets.js";
import { suggest } from "../suggest.js";
import { checkBaseURL } from "./base-url.js";
import { usageError } from "./cli-error.js";
import { locateJsonSyntaxError } from "./json-syntax.js";

/** Why a file given on the command line could not be read, by `error.code`. */
const READ_FAILURES: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "is a directory, not a file",
  EACCES: "permission denied",
};

/**
 * The text of a file a flag names (`--config`, `--api-key-file`), or a usage error saying why it
 * cannot be read.
 *
 * @param path - the file
 * @param where - the flag and file, as the message names them (`--config models.json`)
 * @throws CliError (exit 2) `<where>: cannot read it (no such file)`
 */
export async function readFlagFile(path: string, where: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    usageError(`${where}: cannot read it (${READ_FAILURES[code] ?? code})`);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * `unknown key "base_url"; did you mean "baseURL"?`, or for several `unknown keys "a" (did you
 * mean …?), "b"`. A key is a name, not a value, but one shaped like an API key is blanked.
 */
function unknownKeys(keys: readonly string[], known: readonly string[]): string {
  const named = keys.map((key) => {
    const near = suggest(key, known);
    return {
      key: JSON.stringify(redact(key)),
      hint: near && `did you mean ${JSON.stringify(near)}?`,
    };
  });
  const [only] = named;
  if (named.length === 1 && only !== undefined)
    return `unknown key ${only.key}${only.hint ? `; ${only.hint}` : ""}`;
  return `unknown keys ${named.map(({ key, hint }) => (hint ? `${key} (${hint})` : key)).join(", ")}`;
}

/**
 * Reads a `--config` file: a JSON model registry, `{ "models": { "<name>": { … } } }` or the
 * registry object itself. Every message names the file and the field, and none repeats a value
 * from it: the file holds API keys.
 *
 * @param path - the file, as given on the command line
 * @returns the validated registry, with at least one model
 * @throws CliError (exit 2) naming the file and the line and column, or the field
 * @example
 * ```ts
 * const models = await loadConfigFile("models.json");
 * ```
 */
export async function loadConfigFile(path: string): Promise<ModelRegistry> {
  const where = `--config ${path}`;
  let text = await readFlagFile(path, where);
  // Editors on Windows may save a byte-order mark, which JSON.parse refuses.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Not JSON.parse's message: it quotes the text near the error, which may be a key.
    if (text.trim() === "") usageError(`${where}: the file is empty; expected JSON`);
    const at = locateJsonSyntaxError(text);
    usageError(
      `${where}: not valid JSON${at === undefined ? "" : ` at line ${at.line}, column ${at.column}`}`,
    );
  }
  const wrapper = isRecord(raw) && "models" in raw ? raw : undefined;
  const models = wrapper === undefined ? raw : wrapper.models;
  const prefix = wrapper === undefined ? "" : "models";
  const field = (path: readonly PropertyKey[]) =>
    [prefix, ...path.map(String)].filter((part) => part !== "").join(".") ||
    'the file (expected { "models": { "<name>": { … } } })';
  // Loaded here, not with the CLI: the schema brings zod and LangChain's prompts (~0.4 s of CPU),
  // which a usage error or `--help` has no use for.
  const { MODEL_CONFIG_KEYS, modelRegistrySchema } = await import("../options-schema.js");
  const parsed = modelRegistrySchema.safeParse(models);
  if (!parsed.success) {
    // zod's messages name the expected type, option or limit, never the value received.
    const issue = parsed.error.issues[0];
    const problem =
      issue?.code === "unrecognized_keys"
        ? unknownKeys(issue.keys, MODEL_CONFIG_KEYS)
        : (issue?.message ?? "is invalid");
    usageError(`${where}: ${field(issue?.path ?? [])}: ${problem}`);
  }
  if (Object.keys(parsed.data).length === 0) usageError(`${where}: defines no models`);
  for (const [name, entry] of Object.entries(parsed.data)) {
    if (entry.baseURL !== undefined)
      checkBaseURL(
        entry.baseURL,
        `${where}: ${field([name, "baseURL"])}`,
        'put the key in "apiKey"',
      );
  }
  return parsed.data;
}
