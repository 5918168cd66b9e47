import type { BaseLanguageModel } from "@langchain/core/language_models/base";
import { ChatOpenAI, OpenAI } from "@langchain/openai";
import { CompletionError } from "./errors.js";

/** Which OpenAI-compatible endpoint a model is served on. */
export type ModelKind = "completion" | "chat";

/**
 * One entry of the model registry: an OpenAI-compatible endpoint (vLLM, llama.cpp server, Ollama,
 * FastChat, OpenAI itself…).
 */
export interface ModelConfig {
  /**
   * `"completion"` → `/v1/completions` (LangChain `OpenAI`); `"chat"` → `/v1/chat/completions`
   * (`ChatOpenAI`).
   * @defaultValue `"chat"` for names the completions endpoint does not serve (`gpt-4*`, `gpt-5*`,
   * `o1*`…, `gpt-3.5-turbo` without `-instruct`), else `"completion"`
   */
  kind?: ModelKind;
  /** Model id sent upstream. @defaultValue the registry key */
  model?: string;
  /** Endpoint base URL, e.g. `http://127.0.0.1:8000/v1`. @defaultValue `OPENAI_BASE_URL` */
  baseURL?: string;
  /** API key. @defaultValue `OPENAI_API_KEY`, else `"EMPTY"` when a `baseURL` is set (local servers need none) */
  apiKey?: string;
  /** Retries on 429/5xx/connection errors, with backoff. @defaultValue `1` */
  maxRetries?: number;
  /** Request timeout in ms. @defaultValue openai-node's (10 minutes) */
  timeout?: number;
  /** Extra request-body fields (`top_p`, `stop`, `repetition_penalty`…). */
  modelKwargs?: Record<string, unknown>;
}

/** Model name → endpoint. The first entry is the default model. */
export type ModelRegistry = Record<string, ModelConfig>;

/** Where model names are looked up. */
export interface ModelLookupOptions {
  /** Configured models; the first is the default. */
  models?: ModelRegistry;
  /** Environment to read `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `OPENAI_MODEL` from. @defaultValue `process.env` */
  env?: Record<string, string | undefined>;
}

/** Per-request sampling settings applied to a model built from the registry. */
export interface ModelSettings {
  temperature: number;
  /** `undefined` → the field is not sent, so the endpoint uses the model's maximum. */
  maxTokens: number | undefined;
}

const MAX_INSTANCES = 256;
const instances = new Map<string, BaseLanguageModel>();

const CHAT_ONLY = /^(gpt-4|gpt-5|chatgpt|o\d|gpt-3\.5-turbo(?!-instruct))/;

/** The kind a model name defaults to when its entry does not say. */
export function defaultKind(name: string): ModelKind {
  return CHAT_ONLY.test(name) ? "chat" : "completion";
}

/** True for a LangChain chat model or LLM instance (duck-typed: apps may hold two copies of core). */
export function isLanguageModel(value: unknown): value is BaseLanguageModel {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as BaseLanguageModel).stream === "function" &&
    typeof (value as { _llmType?: unknown })._llmType === "function"
  );
}

/**
 * True for LangChain's `OpenAI` and `ChatOpenAI`, whose runs report the endpoint's `finish_reason`;
 * for them a stream that ends without one was cut short.
 */
export function reportsFinishReason(model: BaseLanguageModel): boolean {
  return model._llmType() === "openai";
}

/** The API key a model instance holds, so that error messages can be scrubbed of it. */
export function secretsOf(model: BaseLanguageModel): string[] {
  const record = model as unknown as Record<string, unknown>;
  return [record.apiKey, record.openAIApiKey].filter(
    (value): value is string => typeof value === "string" && value !== "",
  );
}

/**
 * The registry the lookup uses: the configured models, or — when none are — one implicit entry for
 * the `OPENAI_BASE_URL`/`OPENAI_API_KEY` endpoint that accepts any name.
 */
function registryOf(options: ModelLookupOptions): { models: ModelRegistry; open: boolean } {
  const models = options.models ?? {};
  if (Object.keys(models).length > 0) return { models, open: false };
  const env = options.env ?? process.env;
  if (env.OPENAI_BASE_URL || env.OPENAI_API_KEY) {
    return { models: { [env.OPENAI_MODEL || "gpt-3.5-turbo-instruct"]: {} }, open: true };
  }
  return { models: {}, open: false };
}

/** The name `completion()` uses when none is given: the first configured model. */
export function defaultModelName(options: ModelLookupOptions = {}): string | undefined {
  return Object.keys(registryOf(options).models)[0];
}

/**
 * Builds the LangChain model for a registry name.
 *
 * @param name - a registry key; when no registry is configured, any name served by `OPENAI_BASE_URL`
 * @param settings - per-request `temperature` and `maxTokens`
 * @param options - registry and environment
 * @throws CompletionError `unknown_model`, listing the configured names
 * @example
 * ```ts
 * const model = buildRegisteredModel("qwen", { temperature: 0.7, maxTokens: 1024 }, {
 *   models: { qwen: { kind: "completion", baseURL: "http://127.0.0.1:8000/v1" } },
 * });
 * ```
 */
export function buildRegisteredModel(
  name: string,
  settings: ModelSettings,
  options: ModelLookupOptions = {},
): BaseLanguageModel {
  const { models, open } = registryOf(options);
  const entry = Object.hasOwn(models, name) ? models[name] : open ? {} : undefined;
  if (entry === undefined) {
    const names = Object.keys(models);
    throw new CompletionError(
      "unknown_model",
      names.length > 0
        ? `No model named ${JSON.stringify(name)} is configured; configured: ${names.join(", ")}`
        : `No model named ${JSON.stringify(name)} is configured, and no endpoint is: pass \`models\`, a model instance, or set OPENAI_BASE_URL`,
    );
  }
  const env = options.env ?? process.env;
  // Empty variables count as unset (`OPENAI_API_KEY= cmd` is a common way to clear one).
  const baseURL = entry.baseURL || env.OPENAI_BASE_URL || undefined;
  const apiKey = entry.apiKey || env.OPENAI_API_KEY || (baseURL ? "EMPTY" : undefined);
  if (baseURL === undefined && apiKey === undefined) {
    throw new CompletionError(
      "invalid_options",
      `The model ${JSON.stringify(name)} has neither a baseURL nor an apiKey: set one in its entry, or OPENAI_BASE_URL / OPENAI_API_KEY`,
      { issues: [{ path: ["models", name], message: "needs baseURL or apiKey" }] },
    );
  }
  const fields = {
    model: entry.model ?? name,
    temperature: settings.temperature,
    maxTokens: settings.maxTokens,
    apiKey,
    maxRetries: entry.maxRetries ?? 1,
    timeout: entry.timeout,
    modelKwargs: entry.modelKwargs,
    configuration: baseURL ? { baseURL } : {},
    // `streaming` is left unset: the chain always calls `.stream()`. `streaming: true` would make
    // ChatOpenAI's `invoke()` download a tokenizer from the internet to estimate usage, and
    // `streaming: false` sets `disableStreaming`, turning `.stream()` into one non-streamed call
    // (@langchain/openai 1.5, chat_models/base).
  };
  const kind = entry.kind ?? defaultKind(entry.model ?? name);
  // Built once per distinct configuration, not per request: a ChatOpenAI and its openai client
  // cost ~0.1 ms to construct, and instances are safe to share between concurrent calls.
  const key = JSON.stringify([kind, fields]);
  const cached = instances.get(key);
  if (cached !== undefined) return cached;
  try {
    const model = kind === "chat" ? new ChatOpenAI(fields) : new OpenAI(fields);
    if (instances.size >= MAX_INSTANCES) instances.delete(instances.keys().next().value as string);
    instances.set(key, model);
    return model;
  } catch (error) {
    // e.g. LangChain's OpenAI refuses chat-only names ("gpt-4o") on the completions endpoint.
    throw new CompletionError(
      "invalid_options",
      `The model ${JSON.stringify(name)}: ${(error as Error).message}`,
      {
        cause: error,
        issues: [{ path: ["models", name, "kind"], message: (error as Error).message }],
      },
    );
  }
}

/**
 * Resolves the `model` option of `completion()`: an instance is used as given; a `provider:model`
 * string not in the registry goes to `initChatModel` from the optional peer `langchain`; any other
 * string is a registry name.
 */
export async function resolveModel(
  model: string | BaseLanguageModel | undefined,
  settings: ModelSettings,
  options: ModelLookupOptions = {},
): Promise<BaseLanguageModel> {
  if (isLanguageModel(model)) return model;
  const name = model ?? defaultModelName(options);
  if (name === undefined) {
    throw new CompletionError(
      "unknown_model",
      "No model is configured: pass `model` (an instance or a configured name), `models`, or set OPENAI_BASE_URL",
    );
  }
  const { models } = registryOf(options);
  if (!Object.hasOwn(models, name) && /^[A-Za-z0-9_-]+:.+/.test(name)) {
    return initProviderModel(name, settings);
  }
  return buildRegisteredModel(name, settings, options);
}

async function initProviderModel(
  name: string,
  settings: ModelSettings,
): Promise<BaseLanguageModel> {
  let universal: typeof import("langchain/chat_models/universal");
  try {
    // Loaded on demand: `langchain` is an optional peer, and heavy; users who never pass
    // `provider:model` strings neither install nor load it.
    universal = await import("langchain/chat_models/universal");
  } catch (error) {
    throw new CompletionError(
      "missing_dependency",
      `The model ${JSON.stringify(name)} needs the optional peer dependency \`langchain\`: npm install langchain`,
      { cause: error },
    );
  }
  try {
    return (await universal.initChatModel(name, {
      temperature: settings.temperature,
      ...(settings.maxTokens === undefined ? {} : { maxTokens: settings.maxTokens }),
    })) as unknown as BaseLanguageModel;
  } catch (error) {
    throw new CompletionError(
      "unknown_model",
      `initChatModel could not build ${JSON.stringify(name)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
