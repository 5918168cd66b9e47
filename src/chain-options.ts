/**
 * What a completion chain is made of and given: its input, its model, its options.
 *
 * @packageDocumentation
 */

import type {
  BaseLanguageModel,
  BaseLanguageModelInput,
} from "@langchain/core/language_models/base";
import type { BasePromptTemplate } from "@langchain/core/prompts";
import type { Runnable } from "@langchain/core/runnables";

/** The input of a completion chain: the user's query, substituted for `{input}`. */
export interface CompletionChainInput {
  input: string;
}

/**
 * A model the chain can stream: any LangChain LLM or chat model, or a runnable wrapping one
 * (`.withRetry()`, `.withFallbacks()`, `.bind()`, an `initChatModel` model).
 */
export type CompletionModel = BaseLanguageModel | Runnable<BaseLanguageModelInput, unknown>;

/** Options of {@link createCompletionChain}. */
export interface CompletionChainOptions {
  /** Any LangChain LLM or chat model (`OpenAI`, `ChatOpenAI`, `ChatOllama`, a fake model…), or a runnable wrapping one. */
  model: CompletionModel;
  /**
   * The template: f-string text (`"Q: {input}\nA:"`) or a `PromptTemplate`. Wins over `promptName`.
   */
  prompt?: string | BasePromptTemplate;
  /**
   * A template of category `completion` in `promptsDir` or the bundled `prompts/`, re-read when
   * the file changes.
   * @defaultValue `"default"` (the template `{input}`)
   */
  promptName?: string;
  /** A directory that overlays the bundled `prompts/`. */
  promptsDir?: string;
  /**
   * Output begins with the rendered prompt — for every kind of model (the original passed `echo`
   * to the completions API, which chat models do not have).
   * @defaultValue `false`
   */
  echo?: boolean;
  /**
   * Fail with `upstream_incomplete` when the model's stream ends without a finish reason.
   * @defaultValue `true` when every model inside is LangChain's `OpenAI`/`ChatOpenAI` (they report one), else `false`
   */
  requireFinishReason?: boolean;
  /**
   * Milliseconds a run may wait on the model endpoint — for the headers, the first token, each gap
   * between chunks — before it fails with `upstream_timeout` and the request is aborted. Counted
   * only while the run waits on the endpoint, never while its consumer holds it back.
   * @defaultValue the model's own `timeout` (`new ChatOpenAI({ timeout })`), else `600000`
   */
  timeout?: number;
}

/** What a caller inside this package adds to a run: more signals to obey, a default time limit. */
export interface RunExtras {
  /** Signals besides the config's: the caller's own, a server's shutdown signal. */
  signals?: readonly (AbortSignal | undefined)[];
  /** The time limit when neither the chain's options nor the model set one. */
  defaultTimeout?: number | undefined;
}
