/**
 * Building the LangChain model a `completion()` call drives: from a registry name (cached per
 * configuration), a `provider:model` string (`initChatModel`), or an instance given as is.
 *
 * @packageDocumentation
 */

import type { BaseLanguageModel } from "@langchain/core/language_models/base";
import type { CompletionModel } from "./chain-options.js";
import { processEnv } from "./environment.js";
import { CompletionError } from "./errors.js";
import {
  CREDENTIALS_IN_URL,
  defaultKind,
  defaultModelName,
  hasCredentials,
  isModelInstance,
  type ModelConfig,
  type ModelLookupOptions,
  type ModelSettings,
  quoteName,
  registryOf,
} from "./models.js";
import { isSecret, redact, redactedCopy } from "./secrets.js";
import { streamingModel } from "./transport/streaming-models.js";
import { guardedFetch, quietLogger } from "./upstream-fetch.js";

const MAX_INSTANCES = 256;
const instances = new Map<string, BaseLanguageModel>();

/**
 * The models built for one registry object, by name, settings and the endpoint and key they
 * resolved to: a request that names a configured model finds its instance here without the
 * configuration being checked and serialized again (a per-request cost before the upstream call;
 * README, "Speed"). As with validation (`checkedRegistries`), an entry changed in place after its
 * first use is not read again: pass a new registry object instead. Bounded like {@link instances}:
 * the settings come from requests.
 */
const byRegistry = new WeakMap<object, Map<string, BaseLanguageModel>>();

/** The `fetch` of every registry model: see {@link guardedFetch}. One function, so configs compare equal. */
const upstreamFetch = guardedFetch();

/**
 * Builds the LangChain model for a registry name.
 *
 * @param name - a registry key; when no registry is configured, any name served by `OPENAI_BASE_URL`
 * @param settings - per-request `temperature`, `maxTokens` and, in place of the entry's, `timeout`
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
  const env = options.env ?? processEnv();
  const registry = options.models;
  const configured =
    registry !== undefined && Object.hasOwn(registry, name) ? registry[name] : undefined;
  let built: Map<string, BaseLanguageModel> | undefined;
  let builtKey: string | undefined;
  if (configured !== undefined && registry !== undefined) {
    // Where the entry resolves to is part of the key: a changed OPENAI_BASE_URL is another model.
    const { baseURL = "", apiKey = "" } = entryEndpoint(configured, env);
    builtKey = `${name}\0${settings.temperature}\0${settings.maxTokens}\0${settings.timeout}\0${baseURL}\0${apiKey}`;
    built = byRegistry.get(registry);
    const model = built?.get(builtKey);
    if (model !== undefined) return model;
  }
  const model = buildModel(name, settings, options, env);
  if (builtKey !== undefined && registry !== undefined) {
    if (built === undefined) {
      built = new Map();
      byRegistry.set(registry, built);
    }
    if (built.size >= MAX_INSTANCES) built.delete(built.keys().next().value as string);
    built.set(builtKey, model);
  }
  return model;
}

/**
 * The endpoint and key an entry resolves to: its own, else the environment's. Empty variables count
 * as unset (`OPENAI_API_KEY= cmd` is a common way to clear one); a local endpoint without a key
 * gets `"EMPTY"`, as vLLM and FastChat expect.
 */
function entryEndpoint(
  entry: ModelConfig,
  env: Record<string, string | undefined>,
): { baseURL?: string; apiKey?: string } {
  const baseURL = entry.baseURL || env.OPENAI_BASE_URL || undefined;
  const apiKey = entry.apiKey || env.OPENAI_API_KEY || (baseURL ? "EMPTY" : undefined);
  return { baseURL, apiKey };
}

function buildModel(
  name: string,
  settings: ModelSettings,
  options: ModelLookupOptions,
  env: Record<string, string | undefined>,
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
  const { baseURL, apiKey } = entryEndpoint(entry, env);
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
    timeout: settings.timeout ?? entry.timeout,
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
    // LangChain's OpenAI/ChatOpenAI, streaming over node:http where there is one (see
    // transport/streaming-models.ts); the SDK's fetch, guarded, carries everything else.
    const model = streamingModel(kind, fields);
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
