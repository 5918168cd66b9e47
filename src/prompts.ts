import { PromptTemplate } from "@langchain/core/prompts";
import { PROMPT_NAME_PATTERN } from "./defaults.js";
import { CompletionError } from "./errors.js";
import type { PromptFiles } from "./prompt-files.js";
import { messageOf } from "./run/failures.js";

// The file system is loaded on the first lookup, not at import: `completion()` with an inline
// `prompt` must bundle and run where there is no `node:fs` (edge runtimes).
let files: PromptFiles | undefined;
async function promptFiles(): Promise<PromptFiles> {
  files ??= (await import("./prompt-files.js")).promptFiles;
  return files;
}

const EXTENSIONS = [
  [".txt", "f-string"],
  [".mustache", "mustache"],
] as const;

/** Options of {@link loadPromptTemplate} and {@link listPromptTemplates}. */
export interface PromptLookupOptions {
  /**
   * Template category (a sub-folder of the prompts directory).
   * @defaultValue `"completion"`
   */
  category?: string;
  /** A directory laid out like the bundled `prompts/`; its templates win over the bundled ones. */
  promptsDir?: string;
}

interface CacheEntry {
  mtimeMs: number;
  size: number;
  template: PromptTemplate;
}

// Keyed by file path: a file is read again only when its stamp (mtime, size) changed.
const cache = new Map<string, CacheEntry>();

/**
 * How long a lookup's answer is reused before the files are looked at again. The original re-read
 * its prompt config on every request; a `stat` per file per request kept that, at a cost a request
 * pays before its upstream call (README, "Speed"). Edits are still picked up without a restart,
 * within this time.
 */
const PROMPT_RECHECK_MS = 1_000;

/** Lookups answered within {@link PROMPT_RECHECK_MS}: name and directories → template. */
interface Lookup {
  template: PromptTemplate;
  checkedAt: number;
}

/** Bounded: the keys are names a caller chose, and only found templates are kept. */
const MAX_LOOKUPS = 1_024;
const lookups = new Map<string, Lookup>();

function checkWord(value: string, field: string): void {
  if (!PROMPT_NAME_PATTERN.test(value)) {
    throw new CompletionError(
      "invalid_options",
      `\`${field}\` must be a plain name matching [A-Za-z0-9_-]+, got ${JSON.stringify(value)}`,
      { issues: [{ path: [field], message: "must match [A-Za-z0-9_-]+" }] },
    );
  }
}

function directories(fs: PromptFiles, options: PromptLookupOptions): string[] {
  const category = options.category ?? "completion";
  checkWord(category, "category");
  const dirs = [fs.join(fs.bundledDir(), category)];
  if (options.promptsDir !== undefined) {
    // A mistyped directory must not quietly fall back to the bundled templates.
    if (!fs.isDirectory(options.promptsDir)) {
      throw new CompletionError(
        "invalid_options",
        `\`promptsDir\` ${JSON.stringify(options.promptsDir)} is not a directory`,
        { issues: [{ path: ["promptsDir"], message: "is not a directory" }] },
      );
    }
    dirs.unshift(fs.join(options.promptsDir, category));
  }
  return dirs;
}

/**
 * Builds a `PromptTemplate` from template text, failing with `invalid_prompt` when it does not parse
 * or needs a variable other than `input`.
 *
 * @param text - the template, e.g. `"Q: {input}\nA:"`
 * @param templateFormat - `"f-string"` (Python's `str.format` syntax, as in the original) or `"mustache"`
 * @param source - where the text came from, for the error message
 * @defaultValue templateFormat `"f-string"`
 * @example
 * ```ts
 * const prompt = parsePromptTemplate("Translate to French: {input}");
 * ```
 */
export function parsePromptTemplate(
  text: string,
  templateFormat: "f-string" | "mustache" = "f-string",
  source = "the prompt",
): PromptTemplate {
  let template: PromptTemplate;
  try {
    template = PromptTemplate.fromTemplate(text, { templateFormat });
  } catch (error) {
    throw new CompletionError(
      "invalid_prompt",
      `${source} is not a valid ${templateFormat} template: ${messageOf(error)}`,
      { cause: error },
    );
  }
  const extra = template.inputVariables.filter((name) => name !== "input");
  if (extra.length > 0) {
    throw new CompletionError(
      "invalid_prompt",
      `${source} uses ${extra.map((name) => `{${name}}`).join(", ")}; a completion template may only use {input}`,
    );
  }
  return template;
}

/**
 * Loads the template `name` of a category: `<dir>/<category>/<name>.txt` (f-string) or
 * `<name>.mustache`, looking in `promptsDir` first, then in the bundled `prompts/`. Files are cached
 * and re-read when they change on disk; a lookup's answer is reused for a second before the files are
 * looked at again, so an edit is picked up within a second, without a restart.
 *
 * @param name - a plain word (`[A-Za-z0-9_-]+`); anything else fails with `invalid_options`
 * @param options - `category` (default `"completion"`) and `promptsDir`
 * @throws CompletionError `unknown_prompt` (listing the available names), `invalid_prompt`, `invalid_options`
 * @example
 * ```ts
 * const prompt = await loadPromptTemplate("default"); // "{input}"
 * ```
 */
export async function loadPromptTemplate(
  name: string,
  options: PromptLookupOptions = {},
): Promise<PromptTemplate> {
  checkWord(name, "promptName");
  const category = options.category ?? "completion";
  // Checked here too: the key below must never be reached by a category the lookup would refuse.
  checkWord(category, "category");
  const key = `${category}\0${name}\0${options.promptsDir ?? ""}`;
  const now = Date.now();
  const known = lookups.get(key);
  if (known !== undefined && now - known.checkedAt < PROMPT_RECHECK_MS) return known.template;
  const fs = files ?? (await promptFiles());
  for (const dir of directories(fs, options)) {
    for (const [extension, format] of EXTENSIONS) {
      const path = fs.join(dir, name + extension);
      const info = fs.statFile(path);
      if (info === undefined) continue;
      const cached = cache.get(path);
      let template: PromptTemplate;
      if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) {
        template = cached.template;
      } else {
        template = parsePromptTemplate(await fs.readText(path), format, `The template ${path}`);
        cache.set(path, { mtimeMs: info.mtimeMs, size: info.size, template });
      }
      lookups.delete(key);
      if (lookups.size >= MAX_LOOKUPS) lookups.delete(lookups.keys().next().value as string);
      lookups.set(key, { template, checkedAt: now });
      return template;
    }
  }
  lookups.delete(key);
  const available = await listPromptTemplates(options);
  throw new CompletionError(
    "unknown_prompt",
    `No prompt template named ${JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name)} in category "${options.category ?? "completion"}"; available: ${
      available.length > 0 ? available.join(", ") : "(none)"
    }`,
  );
}

/**
 * Lists the template names of a category, bundled and overlaid, sorted.
 *
 * @param options - `category` (default `"completion"`) and `promptsDir`
 * @example
 * ```ts
 * await listPromptTemplates({ promptsDir: "./my-prompts" }); // ["default", "translate"]
 * ```
 */
export async function listPromptTemplates(options: PromptLookupOptions = {}): Promise<string[]> {
  const names = new Set<string>();
  const fs = await promptFiles();
  for (const dir of directories(fs, options)) {
    const entries = await fs.list(dir);
    for (const entry of entries) {
      for (const [extension] of EXTENSIONS) {
        if (entry.endsWith(extension)) {
          const name = entry.slice(0, -extension.length);
          if (PROMPT_NAME_PATTERN.test(name)) names.add(name);
        }
      }
    }
  }
  return [...names].sort();
}
