/**
 * The model registry: what a name means (an OpenAI-compatible endpoint), which names exist, which
 * one is the default. Building the model for a name is `build-model.ts`.
 *
 * @packageDocumentation
 */

import type { CompletionModel } from "./chain-options.js";
import { processEnv } from "./environment.js";

/** True for any LangChain runnable that can stream: a model, or a wrapper around one. */
export function isRunnableLike(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<string, unknown>).stream === "function" &&
    typeof (value as Record<string, unknown>).invoke === "function"
  );
}

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

/** Per-request settings applied to a model built from the registry. */
export interface ModelSettings {
  temperature: number;
  /** `undefined` → the field is not sent, so the endpoint uses the model's maximum. */
  maxTokens: number | undefined;
  /**
   * The request's own timeout in ms (openai-node's, up to the response headers), in place of the
   * entry's `timeout`: a call's `timeout` replaces the entry's for every wait, the headers included.
   * @defaultValue the entry's `timeout`
   */
  timeout?: number | undefined;
}

const CHAT_ONLY = /^(gpt-4|gpt-5|chatgpt|o\d|gpt-3\.5-turbo(?!-instruct))/;

/** The kind a model name defaults to when its entry does not say. */
export function defaultKind(name: string): ModelKind {
  return CHAT_ONLY.test(name) ? "chat" : "completion";
}

/** True for a model `completion()` accepts as is: a LangChain model, or a runnable wrapping one. */
export function isModelInstance(value: unknown): value is CompletionModel {
  return isRunnableLike(value);
}

/** A name quoted for a message, cut short: a 100,000-character name is not echoed in full. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

/**
 * The registry the lookup uses: the configured models, or — when none are — one implicit entry for
 * the `OPENAI_BASE_URL`/`OPENAI_API_KEY` endpoint that accepts any name.
 */
export function registryOf(options: ModelLookupOptions): { models: ModelRegistry; open: boolean } {
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
export const CREDENTIALS_IN_URL = (name: string) =>
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
