import type { ModelKind, ModelRegistry } from "../models.js";
import { checkBaseURL } from "./base-url.js";
import { usageError } from "./cli-error.js";
import { loadConfigFile } from "./config-file.js";

/** The endpoint flags both commands share. */
export interface EndpointFlags {
  config?: string | undefined;
  "base-url"?: string | undefined;
  kind?: string | undefined;
  model?: string | undefined;
}

/** Where the models come from, decided before anything starts. */
export interface Endpoint {
  /** The registry to pass on; `undefined` leaves the lookup to the library (environment, `provider:model`). */
  models: ModelRegistry | undefined;
  /** Set when no endpoint is configured anywhere: the offline demo model answers, on this kind of endpoint. */
  demo: ModelKind | undefined;
  /** What the names of `models` come from, for messages, e.g. `--config models.json`. */
  source: string | undefined;
}

/**
 * Works out the model registry the flags and the environment describe, without starting anything:
 * `--config` entries, an entry made or updated by `--base-url` (and `--kind`), the environment's
 * `OPENAI_BASE_URL`/`OPENAI_API_KEY` endpoint, or — with none of these — the offline demo model.
 *
 * @param flags - `--config`, `--base-url`, `--kind`, `--model`
 * @param env - where `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `OPENAI_MODEL` are read
 * @throws CliError (exit 2) for a bad `--kind`, URL or config file
 * @example
 * ```ts
 * const endpoint = await endpointFromFlags({ "base-url": "http://127.0.0.1:8000/v1", model: "qwen" });
 * ```
 */
export async function endpointFromFlags(
  flags: EndpointFlags,
  env: Record<string, string | undefined> = process.env,
): Promise<Endpoint> {
  const { model } = flags;
  const baseURL = flags["base-url"];
  if (flags.kind !== undefined && flags.kind !== "completion" && flags.kind !== "chat")
    usageError(`--kind must be "completion" or "chat", got ${JSON.stringify(flags.kind)}`);
  const kind = flags.kind as ModelKind | undefined;
  if (baseURL !== undefined)
    checkBaseURL(baseURL, "--base-url", 'set OPENAI_API_KEY or a --config file\'s "apiKey"');
  if (env.OPENAI_BASE_URL)
    checkBaseURL(env.OPENAI_BASE_URL, "$OPENAI_BASE_URL", "set OPENAI_API_KEY");
  const config = flags.config === undefined ? undefined : await loadConfigFile(flags.config);
  const source = flags.config === undefined ? undefined : `--config ${flags.config}`;

  if (baseURL !== undefined) {
    // --base-url makes (or repoints) an entry: --model's, else the config's first, else $OPENAI_MODEL.
    const name = model ?? (config ? Object.keys(config)[0] : undefined) ?? env.OPENAI_MODEL;
    if (name === undefined) usageError("--base-url needs --model <name>");
    const entry = { ...config?.[name], baseURL, ...(kind ? { kind } : {}) };
    return { models: { ...config, [name]: entry }, demo: undefined, source };
  }
  if (config !== undefined) {
    // --kind alone changes a configured entry; it never makes one (an unknown --model fails later).
    const name = model ?? (Object.keys(config)[0] as string);
    if (kind === undefined || !Object.hasOwn(config, name))
      return { models: config, demo: undefined, source };
    return { models: { ...config, [name]: { ...config[name], kind } }, demo: undefined, source };
  }
  if (env.OPENAI_BASE_URL || env.OPENAI_API_KEY) {
    if (kind === undefined) return { models: undefined, demo: undefined, source: undefined };
    const name = model ?? env.OPENAI_MODEL;
    if (name === undefined) usageError("--kind needs --model <name> (or $OPENAI_MODEL)");
    return { models: { [name]: { kind } }, demo: undefined, source: undefined };
  }
  // A provider:model name goes to LangChain's initChatModel, which finds its own endpoint.
  if (model?.includes(":")) return { models: undefined, demo: undefined, source: undefined };
  return { models: undefined, demo: kind ?? "completion", source: undefined };
}
