import { stat } from "node:fs/promises";
import { join } from "node:path";
import { isCompletionError } from "../errors.js";
import { usageError } from "./cli-error.js";
import type { Endpoint } from "./endpoint.js";
import { OFFLINE_DEMO, OFFLINE_DEMO_MODEL } from "./offline-demo.js";

/**
 * The template functions, loaded on first use: they bring LangChain's prompts (~0.3 s of CPU), which
 * a usage error found before them (a flag, `--model`) has no use for.
 */
const prompts = () => import("../prompts.js");

/**
 * Checks `--model` against what is configured, so that a typo fails at startup rather than at the
 * first request (or, with no endpoint, silently answers from the demo model under that name).
 * `provider:model` names are LangChain's to resolve; with only `OPENAI_BASE_URL`/`OPENAI_API_KEY`
 * set, the endpoint decides which names exist.
 *
 * @param model - `--model`, `undefined` for the default
 * @param endpoint - from `endpointFromFlags()`
 * @throws CliError (exit 2) listing the names that are available
 * @example
 * ```ts
 * checkModel("gpt-9", await endpointFromFlags({ config: "models.json" }));
 * ```
 */
export function checkModel(model: string | undefined, endpoint: Endpoint): void {
  if (model === undefined || model.includes(":")) return;
  if (endpoint.demo !== undefined) {
    if (model === OFFLINE_DEMO_MODEL) return;
    usageError(
      `no model endpoint is configured, so there is no model ${JSON.stringify(model)}; available: ${OFFLINE_DEMO}; configure an endpoint with --base-url <url> --model <name>, --config <file>, or OPENAI_BASE_URL / OPENAI_API_KEY`,
    );
  }
  if (endpoint.models === undefined || Object.hasOwn(endpoint.models, model)) return;
  usageError(
    `--model ${JSON.stringify(model)} is not configured${endpoint.source ? ` in ${endpoint.source}` : ""}; configured: ${Object.keys(endpoint.models).join(", ")}`,
  );
}

/**
 * Checks that `--prompts-dir` is a directory with a `completion/` folder; the library would
 * otherwise skip it without a word and use the bundled templates.
 *
 * @param dir - `--prompts-dir`, `undefined` when absent
 * @throws CliError (exit 2) naming the path
 * @example
 * ```ts
 * await checkPromptsDir("./my-prompts"); // needs ./my-prompts/completion/
 * ```
 */
export async function checkPromptsDir(dir: string | undefined): Promise<void> {
  if (dir === undefined) return;
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) {
    usageError(
      info.code === "ENOENT"
        ? `--prompts-dir ${dir} does not exist`
        : `--prompts-dir ${dir} cannot be read (${info.code})`,
    );
  }
  if (!info.isDirectory()) usageError(`--prompts-dir ${dir} is not a directory`);
  const category = await stat(join(dir, "completion")).catch(() => undefined);
  if (!category?.isDirectory()) {
    usageError(
      `--prompts-dir ${dir} has no completion/ folder; templates go in ${join(dir, "completion", "<name>.txt")}`,
    );
  }
}

/**
 * Checks that the template `--prompt` names exists and parses, in `--prompts-dir` or the bundled
 * prompts. (`serve` re-reads templates on each request, so later edits still apply.)
 *
 * @param name - `--prompt`, or `"default"`
 * @param promptsDir - `--prompts-dir`
 * @throws CliError (exit 2) listing the available templates
 * @example
 * ```ts
 * await checkPrompt("default", undefined);
 * ```
 */
export async function checkPrompt(name: string, promptsDir: string | undefined): Promise<void> {
  const lookup = promptsDir === undefined ? {} : { promptsDir };
  const { listPromptTemplates, loadPromptTemplate } = await prompts();
  try {
    await loadPromptTemplate(name, lookup);
  } catch (error) {
    if (!isCompletionError(error)) throw error;
    if (error.code === "invalid_options")
      usageError(
        `--prompt must be a plain name matching [A-Za-z0-9_-]+, got ${JSON.stringify(name)}`,
      );
    if (error.code !== "unknown_prompt")
      usageError(`--prompt ${JSON.stringify(name)}: ${error.message}`);
    const where =
      promptsDir === undefined
        ? "the bundled prompts"
        : `${join(promptsDir, "completion")} or the bundled prompts`;
    const available = await listPromptTemplates(lookup);
    usageError(
      `--prompt ${JSON.stringify(name)}: no such template in ${where}; available: ${available.join(", ") || "(none)"}`,
    );
  }
}

/**
 * Checks `--template` text: an f-string template that uses no variable but `{input}`.
 *
 * @param text - the template, line breaks already unescaped
 * @throws CliError (exit 2) with the parser's complaint
 * @example
 * ```ts
 * await checkTemplate("Q: {input}\nA:");
 * ```
 */
export async function checkTemplate(text: string): Promise<void> {
  const { parsePromptTemplate } = await prompts();
  try {
    parsePromptTemplate(text, "f-string", "--template");
  } catch (error) {
    if (!isCompletionError(error)) throw error;
    usageError(error.message);
  }
}
