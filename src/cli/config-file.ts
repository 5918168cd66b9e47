import { readFile } from "node:fs/promises";
import type { ModelRegistry } from "../models.js";
import { modelRegistrySchema } from "../options-schema.js";
import { checkBaseURL } from "./base-url.js";
import { usageError } from "./cli-error.js";
import { locateJsonSyntaxError } from "./json-syntax.js";

/** Why a file given on the command line could not be read, by `error.code`. */
export const READ_FAILURES: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "is a directory, not a file",
  EACCES: "permission denied",
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

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
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    usageError(`${where}: cannot read it (${READ_FAILURES[code] ?? code})`);
  }
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
  const parsed = modelRegistrySchema.safeParse(models);
  if (!parsed.success) {
    // zod's messages name the expected type, option or limit, never the value received.
    const issue = parsed.error.issues[0];
    usageError(`${where}: ${field(issue?.path ?? [])}: ${issue?.message ?? "is invalid"}`);
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
