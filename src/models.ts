import type { BaseLanguageModel } from "@langchain/core/language_models/base";
import { ChatOpenAI, OpenAI } from "@langchain/openai";
import type { CompletionModel } from "./chain.js";
import { CompletionError } from "./errors.js";
import { isRunnableLike } from "./run/langchain-private.js";
import { isSecret, redact, redactedCopy } from "./secrets.js";
import { guardedFetch, quietLogger } from "./upstream-fetch.js";
import { processEnv } from "./environment.js";

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
  /**
   * Milliseconds a run may wait on this endpoint — for the headers, the first token, each gap
   * between chunks — before it fails with `upstream_timeout` (openai-node's own timeout stops at the
   * headers). `completion()`'s `timeout` option wins over it.
   * @defaultValue `600000` (10 minutes) in the library, `120000` under `completion-chain serve`
   */
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

/** True for a model `completion()` accepts as is: a LangChain model, or a runnable wrapping one. */
export function isModelInstance(value: unknown): value is CompletionModel {
  return isRunnableLike(value);
}

/** The `fetch` of every registry model: see {@link guardedFetch}. One function, so configs compare equal. */
const upstreamFetch = guardedFetch();

/** A name quoted for a message, cut short: a 100,000-character name is not echoed in full. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

/**
 * The registry the lookup uses: the configured models, or — when none are — one implicit entry for
 * the `OPENAI_BASE_URL`/`OPENAI_API_KEY` endpoint that accepts any name.
 */
function registryOf(options: ModelLookupOptions): { models: ModelRegistry; open: boolean } {
  const models = options.models ?? {};
  if (Object.keys(models).length > 0) return { models, open: false };
  const env = options.env ?? processEnv();
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
        ? `No model named ${quoteName(name)} is configured; configured: ${names.join(", ")}`
        : `No model named ${quoteName(name)} is configured, and no endpoint is: pass \`models\`, a model instance, or set OPENAI_BASE_URL`,
    );
  }
  const env = options.env ?? processEnv();
  // Empty variables count as unset (`OPENAI_API_KEY= cmd` is a common way to clear one).
  const baseURL = entry.baseURL || env.OPENAI_BASE_URL || undefined;
  const apiKey = entry.apiKey || env.OPENAI_API_KEY || (baseURL ? "EMPTY" : undefined);
  if (baseURL === undefined && apiKey === undefined) {
    throw new CompletionError(
      "invalid_options",
      `The model ${quoteName(name)} has neither a baseURL nor an apiKey: set one in its entry, or OPENAI_BASE_URL / OPENAI_API_KEY`,
      { issues: [{ path: ["models", name], message: "needs baseURL or apiKey" }] },
    );
  }
  if (baseURL !== undefined && hasCredentials(baseURL)) {
    throw new CompletionError("invalid_options", CREDENTIALS_IN_URL(name), {
      issues: [{ path: ["models", name, "baseURL"], message: "must not contain user:password@" }],
    });
  }
  const fields = {
    model: entry.model ?? name,
    temperature: settings.temperature,
    maxTokens: settings.maxTokens,
    apiKey,
    maxRetries: entry.maxRetries ?? 1,
    timeout: entry.timeout,
    modelKwargs: entry.modelKwargs,
    // The guarded fetch keeps a misbehaving endpoint's event stream linear and bounded; the quiet
    // logger keeps the SDK from printing its malformed lines raw (see upstream-fetch.ts).
    configuration: {
      ...(baseURL ? { baseURL } : {}),
      fetch: upstreamFetch,
      logger: quietLogger,
    },
    // `streaming` is left unset: the chain always streams. `streaming: true` would make
    // ChatOpenAI's `invoke()` download a tokenizer from the internet to estimate usage, and
    // `streaming: false` sets `disableStreaming`, turning `.stream()` into one non-streamed call
    // (@langchain/openai 1.5, chat_models/base).
  };
  const kind = entry.kind ?? defaultKind(entry.model ?? name);
  // Built once per distinct configuration, not per request: constructing a ChatOpenAI and its
  // openai client is a cost per request otherwise, and instances are safe to share between
  // concurrent calls. (The
  // functions in `configuration` are the same for every entry, and JSON leaves them out.)
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
    const secrets = apiKey !== undefined && isSecret(apiKey) ? [apiKey] : [];
    const message = redact((error as Error).message, secrets);
    throw new CompletionError("invalid_options", `The model ${quoteName(name)}: ${message}`, {
      cause: redactedCopy(error, secrets),
      issues: [{ path: ["models", name, "kind"], message }],
    });
  }
}

/** True when `url` carries `user:password@` (or just `user@`). */
export function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== "" || parsed.password !== "";
  } catch {
    return false;
  }
}

/**
 * openai-node sends its key as `Authorization: Bearer`, and fetch refuses a URL with credentials
 * ("Connection error." on every request), so a `user:password@` URL is refused up front.
 */
const CREDENTIALS_IN_URL = (name: string) =>
  `The model ${quoteName(name)} has credentials in its baseURL (user:password@…): remove them and put the key in \`apiKey\` (or OPENAI_API_KEY); it is sent as a bearer token`;

/**
 * The names an HTTP client may ask for: the configured models, or — with no registry — the one
 * `OPENAI_BASE_URL`/`OPENAI_API_KEY` endpoint's default model. A `provider:model` string is never
 * one of them: it would build a model the operator never configured.
 *
 * @param options - registry and environment
 * @example
 * ```ts
 * configuredModelNames({ models: { qwen: {}, llama: {} } }); // ["qwen", "llama"]
 * ```
 */
export function configuredModelNames(options: ModelLookupOptions = {}): string[] {
  return Object.keys(registryOf(options).models);
}

/**
 * Resolves the `model` option of `completion()`: an instance is used as given; a `provider:model`
 * string not in the registry goes to `initChatModel` from the optional peer `langchain`; any other
 * string is a registry name.
 */
export async function resolveModel(
  model: string | CompletionModel | undefined,
  settings: ModelSettings,
  options: ModelLookupOptions = {},
): Promise<CompletionModel> {
  if (isModelInstance(model)) return model;
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

async function initProviderModel(name: string, settings: ModelSettings): Promise<CompletionModel> {
  let universal: typeof import("langchain/chat_models/universal");
  try {
    // Loaded on demand: `langchain` is an optional peer, and heavy; users who never pass
    // `provider:model` strings neither install nor load it.
    universal = await import("langchain/chat_models/universal");
  } catch (error) {
    throw new CompletionError(
      "missing_dependency",
      `The model ${quoteName(name)} needs the optional peer dependency \`langchain\`: npm install langchain`,
      { cause: error },
    );
  }
  const openai = name.startsWith("openai:");
  if (openai && hasCredentials(processEnv().OPENAI_BASE_URL ?? "")) {
    throw new CompletionError("invalid_options", CREDENTIALS_IN_URL(name), {
      issues: [{ path: ["model"], message: "OPENAI_BASE_URL must not contain user:password@" }],
    });
  }
  try {
    return (await universal.initChatModel(name, {
      temperature: settings.temperature,
      ...(settings.maxTokens === undefined ? {} : { maxTokens: settings.maxTokens }),
      // The same guarded fetch and quiet logger as registry models get.
      ...(openai ? { configuration: { fetch: upstreamFetch, logger: quietLogger } } : {}),
    })) as unknown as CompletionModel;
  } catch (error) {
    const key = processEnv().OPENAI_API_KEY;
    const secrets = key ? [key] : [];
    throw new CompletionError(
      "unknown_model",
      `initChatModel could not build ${quoteName(name)}: ${redact((error as Error).message, secrets)}`,
      { cause: redactedCopy(error, secrets) },
    );
  }
}
