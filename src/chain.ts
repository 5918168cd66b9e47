import type { BaseLanguageModel } from "@langchain/core/language_models/base";
import type { BasePromptValueInterface } from "@langchain/core/prompt_values";
import type { BasePromptTemplate } from "@langchain/core/prompts";
import {
  type Runnable,
  type RunnableConfig,
  RunnableLambda,
  RunnableSequence,
} from "@langchain/core/runnables";
import { CompletionError } from "./errors.js";
import { FinishTracker, withHandler } from "./finish-tracker.js";
import { reportsFinishReason, secretsOf } from "./models.js";
import { loadPromptTemplate, parsePromptTemplate } from "./prompts.js";
import { toCompletionError } from "./upstream-errors.js";

/** The input of a completion chain: the user's query, substituted for `{input}`. */
export interface CompletionChainInput {
  input: string;
}

/** Options of {@link createCompletionChain}. */
export interface CompletionChainOptions {
  /** Any LangChain LLM or chat model (`OpenAI`, `ChatOpenAI`, `ChatOllama`, a fake model…). */
  model: BaseLanguageModel;
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
   * @defaultValue `true` for LangChain's `OpenAI`/`ChatOpenAI` (they report one), else `false`
   */
  requireFinishReason?: boolean;
}

function textOf(chunk: unknown): string {
  if (typeof chunk === "string") return chunk;
  const content = (chunk as { content?: unknown } | null)?.content;
  if (typeof content === "string") return content;
  // Multi-part content (some chat providers): keep the text parts.
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part === "string" ? part : (part?.text ?? ""))).join("");
  }
  return "";
}

/**
 * The completion pipeline as a LangChain `Runnable<{ input: string }, string>`: prompt template →
 * model → text. It is LCEL (what `LLMChain` became), so it composes with `.pipe()`, `.batch()`,
 * `.stream()`, `.streamEvents()`, `.withFallbacks()`, and callbacks, tags and tracing reach the
 * prompt and model runs inside it. The model is always called through `.stream()`, so tokens reach
 * `handleLLMNewToken` callbacks whether the chain is invoked or streamed.
 *
 * Errors are {@link CompletionError}s.
 *
 * @param options - model, prompt, echo; see {@link CompletionChainOptions}
 * @example
 * ```ts
 * import { ChatOpenAI } from "@langchain/openai";
 * const chain = createCompletionChain({ model: new ChatOpenAI({ model: "gpt-4o-mini" }), prompt: "Summarise: {input}" });
 * const summary = await chain.invoke({ input: longText });
 * for await (const token of await chain.stream({ input: longText })) process.stdout.write(token);
 * ```
 */
export function createCompletionChain(
  options: CompletionChainOptions,
): Runnable<CompletionChainInput, string> {
  const { model, echo = false } = options;
  if (model === undefined || model === null) {
    throw new CompletionError(
      "invalid_options",
      "`model` is required: pass a LangChain model instance",
      {
        issues: [{ path: ["model"], message: "Required" }],
      },
    );
  }
  const requireFinish = options.requireFinishReason ?? reportsFinishReason(model);
  const secrets = secretsOf(model);

  const fixed =
    typeof options.prompt === "string" ? parsePromptTemplate(options.prompt) : options.prompt;
  const promptStep = RunnableLambda.from(
    async (input: CompletionChainInput, config?: RunnableConfig) => {
      if (typeof input?.input !== "string") {
        throw new CompletionError(
          "invalid_options",
          "the chain's input must be { input: string }",
          {
            issues: [{ path: ["input"], message: "Expected string" }],
          },
        );
      }
      const template =
        fixed ??
        (await loadPromptTemplate(options.promptName ?? "default", {
          promptsDir: options.promptsDir,
        }));
      try {
        return (await template.invoke(input, config)) as BasePromptValueInterface;
      } catch (error) {
        throw new CompletionError(
          "invalid_prompt",
          `The prompt could not be rendered: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    },
  ).withConfig({ runName: "CompletionPrompt" });

  const modelStep = RunnableLambda.from(async function* (
    promptValue: BasePromptValueInterface,
    config?: RunnableConfig,
  ): AsyncGenerator<string> {
    let empty = true;
    if (echo) {
      const rendered = promptValue.toString();
      if (rendered !== "") {
        empty = false;
        yield rendered;
      }
    }
    const tracker = new FinishTracker();
    try {
      const stream = await model.stream(promptValue, withHandler(config ?? {}, tracker));
      for await (const chunk of stream) {
        const text = textOf(chunk);
        if (text !== "") {
          empty = false;
          yield text;
        }
      }
    } catch (error) {
      throw toCompletionError(error, { signal: config?.signal, secrets });
    }
    if (config?.signal?.aborted) {
      throw toCompletionError(config.signal.reason, { signal: config.signal, secrets });
    }
    if (requireFinish && !tracker.finishReason) {
      throw new CompletionError(
        "upstream_incomplete",
        "The model's stream ended without a finish reason: the answer was cut short",
      );
    }
    // `invoke()` concatenates the chunks; with none it would return `undefined`, not "".
    if (empty) yield "";
  }).withConfig({ runName: "CompletionModel" });

  return RunnableSequence.from([promptStep, modelStep]).withConfig({
    runName: "CompletionChain",
  }) as unknown as Runnable<CompletionChainInput, string>;
}
