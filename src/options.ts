import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { BasePromptTemplate } from "@langchain/core/prompts";
import type { CompletionModel } from "./chain-options.js";
import type { ModelRegistry } from "./models.js";

/**
 * Options of `completion()`. Names are the Python original's, in camelCase. The defaults are
 * written once, in `defaults.ts`.
 */
export interface CompletionOptions {
  /** The user's input, substituted for `{input}` in the template — literally, never re-parsed. */
  query: string;
  /**
   * `true` → an `AsyncIterable<string>` of tokens; otherwise a `Promise<string>` of the whole answer.
   * @defaultValue `false`
   */
  stream?: boolean;
  /** Output begins with the rendered prompt, for every kind of model. @defaultValue `false` */
  echo?: boolean;
  /**
   * A configured model name, a `provider:model` string for `initChatModel` (needs the optional
   * peer `langchain`), or any LangChain model instance or runnable wrapping one (`.withRetry()`,
   * `.withFallbacks()`), used as given: its own temperature and token limit apply.
   * @defaultValue the first configured model
   */
  model?: string | CompletionModel;
  /** Sampling temperature, 0 ≤ t ≤ 1. @defaultValue `0.7` */
  temperature?: number;
  /** Token limit; `null` or `<= 0` → not sent, so the endpoint uses the model's maximum. @defaultValue `1024` */
  maxTokens?: number | null;
  /** A template of category `completion`. @defaultValue `"default"` (`{input}`) */
  promptName?: string;
  /** Template text (f-string) or a `PromptTemplate` to use instead of a named one. */
  prompt?: string | BasePromptTemplate;
  /** A directory laid out like the bundled `prompts/`, overlaying it. */
  promptsDir?: string;
  /** Model name → endpoint; the first entry is the default model. */
  models?: ModelRegistry;
  /** Aborts the upstream request at once. */
  signal?: AbortSignal;
  /**
   * Milliseconds the run may wait on the model endpoint — for the response headers, the first
   * token, and each gap between chunks — before it fails with `upstream_timeout`. Counted only
   * while the run waits on the endpoint, never while the consumer of the tokens holds it back.
   * @defaultValue the model entry's `timeout`, else `600000` (10 minutes, the openai SDK's own)
   */
  timeout?: number;
  /** LangChain callbacks, passed to the chain run (tracing, logging). */
  callbacks?: Callbacks;
  /** LangChain run tags. */
  tags?: string[];
  /** LangChain run metadata. */
  metadata?: Record<string, unknown>;
  /** LangChain run name. @defaultValue `"CompletionChain"` */
  runName?: string;
}

/** {@link CompletionOptions} after validation, defaults applied. */
export interface ParsedCompletionOptions
  extends Omit<CompletionOptions, "stream" | "echo" | "temperature" | "maxTokens" | "promptName"> {
  stream: boolean;
  echo: boolean;
  temperature: number;
  /** `undefined` → not sent. */
  maxTokens: number | undefined;
  promptName: string;
}
