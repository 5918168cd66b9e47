import type { CallbackManagerForChainRun } from "@langchain/core/callbacks/manager";
import type { BasePromptValueInterface } from "@langchain/core/prompt_values";
import type { BasePromptTemplate } from "@langchain/core/prompts";
import {
  ensureConfig,
  getCallbackManagerForConfig,
  patchConfig,
  Runnable,
  type RunnableConfig,
} from "@langchain/core/runnables";
import { AsyncGeneratorWithSetup, IterableReadableStream } from "@langchain/core/utils/stream";
import type {
  CompletionChainInput,
  CompletionChainOptions,
  CompletionModel,
  RunExtras,
} from "./chain-options.js";
import { DEFAULT_TIMEOUT_MS } from "./defaults.js";
import { CompletionError } from "./errors.js";
import { isRunnableLike } from "./models.js";
import { loadPromptTemplate, parsePromptTemplate } from "./prompts.js";
import { callWithConfig, timeoutOf, transformStreamWithConfig } from "./run/langchain-private.js";
import { drain } from "./run/consume.js";
import { abortedBySignal, messageOf } from "./run/failures.js";
import { CompletionRun } from "./run/run.js";

/**
 * The completion pipeline as a LangChain `Runnable<{ input: string }, string>`: prompt template →
 * model → text — what Python's `LLMChain` was, traced the same way (one chain run around one model
 * run). It composes with `.pipe()`, `.batch()`, `.stream()`, `.streamEvents()`, `.withFallbacks()`,
 * and callbacks, tags and tracing reach the model run inside it. The model is always streamed (a
 * model that cannot stream gives its answer as one chunk), so tokens reach `handleLLMNewToken`
 * callbacks whether the chain is invoked or streamed.
 *
 * Errors are {@link CompletionError}s.
 *
 * @param options - model, prompt, echo, timeout; see {@link CompletionChainOptions}
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
  return new CompletionChain(options);
}

/**
 * The handlers `streamEvents()` and `streamLog()` attach, which also report a chain's own output
 * stream (LangChain's `isStreamEventsHandler`/`isLogStreamHandler`, matched by name as they are).
 */
function tapsStream(handler: { name: string }): boolean {
  return handler.name === "event_stream_tracer" || handler.name === "log_stream_tracer";
}

async function* once<T>(value: T): AsyncGenerator<T> {
  yield value;
}

/**
 * One runnable rather than `RunnableSequence.from([prompt, model, parser])`: every LCEL layer adds a
 * run (a LangSmith RunTree and a callback-manager configure per run) and, when streaming, a wrapper
 * that re-enters AsyncLocalStorage for every chunk (measured with bench/). Here the chain is one run,
 * and its tokens come from one {@link CompletionRun} pulling the model's own stream.
 *
 * @internal exported for `completion()`, which opens runs with extra signals
 */
export class CompletionChain extends Runnable<CompletionChainInput, string> {
  static override lc_name(): string {
    return "CompletionChain";
  }
  override lc_namespace = ["completion_chain"];

  private readonly model: CompletionModel;
  private readonly fixed: BasePromptTemplate | undefined;

  constructor(private readonly options: CompletionChainOptions) {
    super();
    if (!isRunnableLike(options?.model)) {
      throw new CompletionError(
        "invalid_options",
        "`model` is required: pass a LangChain model instance (or a runnable wrapping one)",
        { issues: [{ path: ["model"], message: "Required" }] },
      );
    }
    this.model = options.model;
    this.fixed =
      typeof options.prompt === "string" ? parsePromptTemplate(options.prompt) : options.prompt;
  }

  override async invoke(
    input: CompletionChainInput,
    options?: Partial<RunnableConfig>,
  ): Promise<string> {
    try {
      return await callWithConfig(
        this,
        async (value, config, runManager) => {
          const runConfig = patchConfig(config, { callbacks: runManager?.getChild() });
          const run = await this.open(value, runConfig, {}, undefined);
          return run.text();
        },
        input,
        options,
      );
    } catch (error) {
      throw abortedBySignal(error, ensureConfig(options).signal);
    }
  }

  override _streamIterator(
    input: CompletionChainInput,
    options?: Partial<RunnableConfig>,
  ): AsyncGenerator<string> {
    return this.tokens(input, ensureConfig(options));
  }

  /**
   * `Runnable.stream()` of `@langchain/core` 1.4, except that its wrapper does not race the
   * config's signal: that race rejects the next read with the signal's bare `AbortError`, while the
   * run obeys the same signal itself — closing the upstream at once — and reports `aborted` as a
   * {@link CompletionError}.
   */
  override async stream(
    input: CompletionChainInput,
    options?: Partial<RunnableConfig>,
  ): Promise<IterableReadableStream<string>> {
    const config = ensureConfig(options);
    const generator = this._streamIterator(input, config);
    const { signal: _raced, ...unraced } = config;
    const wrapped = new AsyncGeneratorWithSetup({ generator, config: unraced });
    await wrapped.setup;
    return IterableReadableStream.fromAsyncGenerator(wrapped);
  }

  /**
   * A run that is its own chain run — started here, ended (or failed) by the run — as `.stream()`
   * makes it: what `completion()` reads, with no generator between it and the model.
   */
  async openStream(
    input: CompletionChainInput,
    config: RunnableConfig,
    extras: RunExtras = {},
  ): Promise<CompletionRun> {
    const callbackManager = await getCallbackManagerForConfig(config);
    const chainRun = await callbackManager?.handleChainStart(
      this.toJSON(),
      input as unknown as Record<string, unknown>,
      config.runId,
      (config as { runType?: string }).runType,
      undefined,
      undefined,
      config.runName ?? this.getName(),
    );
    delete config.runId;
    try {
      return await this.open(
        input,
        patchConfig(config, { callbacks: chainRun?.getChild() }),
        extras,
        chainRun,
      );
    } catch (error) {
      await chainRun?.handleChainError(error);
      throw error;
    }
  }

  /**
   * The tokens of one run; `""` alone when there are none (a pipeline's `invoke()` concatenates the
   * chunks, and with none would get `undefined`). With a `streamEvents`/`streamLog` handler
   * attached, inside LangChain's own stream run, which also reports the chain's output chunks.
   */
  private async *tokens(
    input: CompletionChainInput,
    config: RunnableConfig,
  ): AsyncGenerator<string> {
    const callbackManager = await getCallbackManagerForConfig(config);
    if (callbackManager?.handlers.some(tapsStream)) {
      const open = (value: CompletionChainInput, runConfig: RunnableConfig) =>
        this.open(value, runConfig, {}, undefined);
      yield* transformStreamWithConfig(
        this,
        once(input),
        async function* (inputs, runManager, runConfig) {
          for await (const value of inputs) {
            const run = await open(
              value,
              patchConfig(runConfig, { callbacks: runManager?.getChild() }),
            );
            yield* drain(run);
          }
        },
        config,
      );
      return;
    }
    yield* drain(await this.openStream(input, config));
  }

  /** Renders the prompt and makes the run (which starts the model at its first `next()`). */
  private async open(
    input: CompletionChainInput,
    config: RunnableConfig,
    extras: RunExtras,
    chainRun: CallbackManagerForChainRun | undefined,
  ): Promise<CompletionRun> {
    if (typeof input?.input !== "string") {
      throw new CompletionError("invalid_options", "the chain's input must be { input: string }", {
        issues: [{ path: ["input"], message: "Expected string" }],
      });
    }
    const template =
      this.fixed ??
      (await loadPromptTemplate(this.options.promptName ?? "default", {
        promptsDir: this.options.promptsDir,
      }));
    let promptValue: BasePromptValueInterface;
    try {
      promptValue = await template.formatPromptValue(input);
    } catch (error) {
      throw new CompletionError(
        "invalid_prompt",
        `The prompt could not be rendered: ${messageOf(error)}`,
        { cause: error },
      );
    }
    const { signal, ...modelConfig } = config;
    return new CompletionRun({
      model: this.model,
      input: promptValue,
      echo: this.options.echo ? promptValue.toString() : "",
      config: modelConfig,
      signals: [signal, ...(extras.signals ?? [])],
      timeout:
        this.options.timeout ??
        timeoutOf(this.model) ??
        extras.defaultTimeout ??
        DEFAULT_TIMEOUT_MS,
      requireFinishReason: this.options.requireFinishReason,
      chainRun,
    });
  }
}
