import type { BaseLanguageModel } from "@langchain/core/language_models/base";
import type { BasePromptTemplate } from "@langchain/core/prompts";
import type { CallbackManagerForChainRun } from "@langchain/core/callbacks/manager";
import {
  ensureConfig,
  getCallbackManagerForConfig,
  patchConfig,
  Runnable,
  type RunnableConfig,
} from "@langchain/core/runnables";
import { CompletionError } from "./errors.js";
import { type FinishReasonHolder, FinishTracker } from "./finish-tracker.js";
import { withHandler } from "./with-handler.js";
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

/**
 * The completion pipeline as a LangChain `Runnable<{ input: string }, string>`: prompt template →
 * model → text — what Python's `LLMChain` was, traced the same way (one chain run around one model
 * run). It composes with `.pipe()`, `.batch()`, `.stream()`, `.streamEvents()`, `.withFallbacks()`,
 * and callbacks, tags and tracing reach the model run inside it. The model is always streamed, so
 * tokens reach `handleLLMNewToken` callbacks whether the chain is invoked or streamed.
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
  if (options?.model === undefined || options.model === null) {
    throw new CompletionError(
      "invalid_options",
      "`model` is required: pass a LangChain model instance",
      { issues: [{ path: ["model"], message: "Required" }] },
    );
  }
  return new CompletionChain(options);
}

/**
 * `createCompletionChain` for `completion()`, whose callback handler already records the model's
 * finish reason: the chain reads it from there instead of attaching a second handler that every
 * token would be dispatched to. Not public: the holder must belong to this one run.
 */
export function createCompletionChainWithFinishHolder(
  options: CompletionChainOptions,
  holder: FinishReasonHolder,
): Runnable<CompletionChainInput, string> {
  return new CompletionChain(options, holder);
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

function finishReasonOf(chunk: unknown): unknown {
  return (chunk as { response_metadata?: { finish_reason?: unknown } } | null)?.response_metadata
    ?.finish_reason;
}

async function* once<T>(value: T): AsyncGenerator<T> {
  yield value;
}

/** One model call of the chain, between {@link CompletionChain.begin} and its end. */
interface TokenRun {
  /** The rendered prompt when echoing, else "". */
  echo: string;
  stream: AsyncGenerator<unknown>;
  /** Where an LLM's finish reason is recorded, when it is required. */
  tracker: FinishReasonHolder | undefined;
  /** A chat chunk's finish reason, when one came. */
  finishReason: unknown;
  signal: AbortSignal | undefined;
}

/**
 * The handlers `streamEvents()` and `streamLog()` attach, which also report a chain's own output
 * stream (LangChain's `isStreamEventsHandler`/`isLogStreamHandler`, matched by name as they are).
 */
function tapsStream(handler: { name: string }): boolean {
  return handler.name === "event_stream_tracer" || handler.name === "log_stream_tracer";
}

/**
 * One runnable rather than `RunnableSequence.from([prompt, model, parser])`: every LCEL layer adds a
 * run (a LangSmith RunTree and a callback-manager configure per run) and, when streaming, a wrapper
 * that re-enters AsyncLocalStorage for every chunk — together they doubled the CPU per token of the
 * model's own `.stream()` (measured with bench/). Here the chain is one run, and the model's
 * `_streamIterator` (what its `.stream()` wraps) is iterated directly, callbacks and all.
 */
class CompletionChain extends Runnable<CompletionChainInput, string> {
  static override lc_name(): string {
    return "CompletionChain";
  }
  override lc_namespace = ["completion_chain"];

  private readonly model: BaseLanguageModel;
  private readonly fixed: BasePromptTemplate | undefined;
  private readonly echo: boolean;
  private readonly requireFinish: boolean;
  private readonly secrets: string[];

  constructor(
    private readonly options: CompletionChainOptions,
    private readonly finishHolder?: FinishReasonHolder,
  ) {
    super();
    this.model = options.model;
    this.fixed =
      typeof options.prompt === "string" ? parsePromptTemplate(options.prompt) : options.prompt;
    this.echo = options.echo ?? false;
    this.requireFinish = options.requireFinishReason ?? reportsFinishReason(options.model);
    this.secrets = secretsOf(options.model);
  }

  override async invoke(
    input: CompletionChainInput,
    options?: Partial<RunnableConfig>,
  ): Promise<string> {
    return this._callWithConfig(
      async (
        value: CompletionChainInput,
        config?: Partial<RunnableConfig>,
        runManager?: CallbackManagerForChainRun,
      ) => {
        return this.collect(value, patchConfig(config, { callbacks: runManager?.getChild() }));
      },
      input,
      options,
    );
  }

  /**
   * One chain run around the tokens, as `_transformStreamWithConfig` makes it, minus the layers a
   * plain `.stream()` does not need (an input-buffering generator, and a context re-entry per
   * token); with a `streamEvents`/`streamLog` handler attached, LangChain's own path, which also
   * reports the chain's stream.
   */
  override _streamIterator(
    input: CompletionChainInput,
    options?: Partial<RunnableConfig>,
  ): AsyncGenerator<string> {
    return this.tokens(input, ensureConfig(options), true);
  }

  private async *streamWithTaps(
    input: CompletionChainInput,
    config: RunnableConfig,
  ): AsyncGenerator<string> {
    const tokens = this.tokens.bind(this);
    yield* this._transformStreamWithConfig(
      once(input),
      async function* (
        inputs: AsyncGenerator<CompletionChainInput>,
        runManager?: CallbackManagerForChainRun,
        runConfig?: Partial<RunnableConfig>,
      ) {
        for await (const value of inputs) {
          yield* tokens(
            value,
            patchConfig(runConfig, { callbacks: runManager?.getChild() }),
            false,
          );
        }
      },
      config,
    );
  }

  /**
   * The prompt, then the model's non-empty tokens; `""` alone when there are none. With `ownRun`,
   * inside a chain run of its own (the `.stream()` path), so that one generator, not two, stands
   * between the model and the caller: each layer is a resumption per token, and with LangChain's
   * AsyncLocalStorage active every promise also pays Node's async hooks.
   */
  private async *tokens(
    input: CompletionChainInput,
    config: RunnableConfig,
    ownRun: boolean,
  ): AsyncGenerator<string> {
    let runManager: CallbackManagerForChainRun | undefined;
    let runConfig = config;
    if (ownRun) {
      const callbackManager = await getCallbackManagerForConfig(config);
      if (callbackManager?.handlers.some(tapsStream)) {
        yield* this.streamWithTaps(input, config);
        return;
      }
      runManager = await callbackManager?.handleChainStart(
        this.toJSON(),
        input as unknown as Record<string, unknown>,
        config.runId,
        (config as { runType?: string }).runType,
        undefined,
        undefined,
        config.runName ?? this.getName(),
      );
      delete config.runId;
      runConfig = patchConfig(config, { callbacks: runManager?.getChild() });
    }
    let output = "";
    try {
      const run = await this.begin(input, runConfig);
      if (run.echo !== "") {
        output = run.echo;
        yield run.echo;
      }
      try {
        for await (const chunk of run.stream) {
          const text = this.take(run, chunk);
          if (text !== "") {
            output += text;
            yield text;
          }
        }
      } catch (error) {
        throw this.failure(error, runConfig.signal);
      }
      this.end(run);
      // `invoke()` of a pipeline concatenates the chunks; with none it would get `undefined`, not "".
      if (output === "") yield "";
    } catch (error) {
      await runManager?.handleChainError(error);
      throw error;
    }
    await runManager?.handleChainEnd({ output });
  }

  /** What {@link tokens} yields, concatenated, without a generator between the model and the sum. */
  private async collect(input: CompletionChainInput, config: RunnableConfig): Promise<string> {
    const run = await this.begin(input, config);
    let text = run.echo;
    try {
      for await (const chunk of run.stream) text += this.take(run, chunk);
    } catch (error) {
      throw this.failure(error, config.signal);
    }
    this.end(run);
    return text;
  }

  /** Renders the prompt and starts the model's stream. */
  private async begin(input: CompletionChainInput, config: RunnableConfig): Promise<TokenRun> {
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
    let promptValue: Awaited<ReturnType<BasePromptTemplate["formatPromptValue"]>>;
    try {
      promptValue = await template.formatPromptValue(input);
    } catch (error) {
      throw new CompletionError(
        "invalid_prompt",
        `The prompt could not be rendered: ${(error as Error).message}`,
        { cause: error },
      );
    }
    // Chat chunks carry their finish reason; an LLM's `_streamIterator` yields bare strings, so
    // for those the run's end is watched through a callback.
    const watch = this.requireFinish && this.model._modelType() !== "base_chat_model";
    const added = watch && this.finishHolder === undefined ? new FinishTracker() : undefined;
    return {
      echo: this.echo ? promptValue.toString() : "",
      stream: this.model._streamIterator(promptValue, added ? withHandler(config, added) : config),
      tracker: watch ? (this.finishHolder ?? added) : undefined,
      finishReason: undefined,
      signal: config.signal,
    };
  }

  /** A failure of the model's stream as a `CompletionError`, the model's keys redacted. */
  private failure(error: unknown, signal: AbortSignal | undefined): CompletionError {
    return toCompletionError(error, { signal, secrets: this.secrets });
  }

  /** One chunk's text; notes its finish reason. */
  private take(run: TokenRun, chunk: unknown): string {
    run.finishReason = finishReasonOf(chunk) ?? run.finishReason;
    return textOf(chunk);
  }

  /** After the model's stream: an abort or a missing finish reason fails the run. */
  private end(run: TokenRun): void {
    if (run.signal?.aborted) throw this.failure(run.signal.reason, run.signal);
    if (this.requireFinish && !(run.tracker ? run.tracker.finishReason : run.finishReason)) {
      throw new CompletionError(
        "upstream_incomplete",
        "The model's stream ended without a finish reason: the answer was cut short",
      );
    }
  }
}
