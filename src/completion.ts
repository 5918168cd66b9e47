import type { BaseLanguageModel } from "@langchain/core/language_models/base";
import type { BasePromptTemplate } from "@langchain/core/prompts";
import type { Runnable, RunnableConfig } from "@langchain/core/runnables";
import { AsyncIteratorCallbackHandler } from "./async-iterator-handler.js";
import {
  type CompletionChainInput,
  createCompletionChain,
  createCompletionChainWithFinishHolder,
} from "./chain.js";
import { CompletionError } from "./errors.js";
import { withHandler } from "./with-handler.js";
import { resolveModel, secretsOf } from "./models.js";
import {
  type CompletionOptions,
  type ParsedCompletionOptions,
  parseCompletionOptions,
} from "./options.js";
import { loadPromptTemplate, parsePromptTemplate } from "./prompts.js";
import { toCompletionError } from "./upstream-errors.js";

interface Prepared {
  chain: Runnable<CompletionChainInput, string>;
  template: BasePromptTemplate;
  model: BaseLanguageModel;
}

/** Everything that can fail before the model is called: model lookup, template lookup and parse. */
async function prepare(
  options: ParsedCompletionOptions,
  handler?: AsyncIteratorCallbackHandler,
): Promise<Prepared> {
  const model = await resolveModel(
    options.model,
    { temperature: options.temperature, maxTokens: options.maxTokens },
    { models: options.models },
  );
  const template =
    options.prompt === undefined
      ? await loadPromptTemplate(options.promptName, { promptsDir: options.promptsDir })
      : typeof options.prompt === "string"
        ? parsePromptTemplate(options.prompt)
        : options.prompt;
  const chainOptions = { model, prompt: template, echo: options.echo };
  const chain = handler
    ? createCompletionChainWithFinishHolder(chainOptions, handler)
    : createCompletionChain(chainOptions);
  return { chain, template, model };
}

function runConfig(
  options: ParsedCompletionOptions,
  signal: AbortSignal | undefined,
): RunnableConfig {
  const config: RunnableConfig = { signal };
  if (options.callbacks !== undefined) config.callbacks = options.callbacks;
  if (options.tags !== undefined) config.tags = options.tags;
  if (options.metadata !== undefined) config.metadata = options.metadata;
  if (options.runName !== undefined) config.runName = options.runName;
  return config;
}

/**
 * A signal for one run that follows the caller's. The run never listens on the caller's signal
 * itself: openai-node v6 adds a `once` abort listener to the signal it is given and never removes
 * it (`fetchWithTimeout` in client.js), which would pile up on a long-lived signal.
 */
function runSignal(caller: AbortSignal | undefined): { signal: AbortSignal; abort(): void } {
  const controller = new AbortController();
  const signal = caller ? AbortSignal.any([caller, controller.signal]) : controller.signal;
  return { signal, abort: () => controller.abort() };
}

async function completeWhole(options: ParsedCompletionOptions): Promise<string> {
  const run = runSignal(options.signal);
  let secrets: string[] = [];
  let settled = false;
  try {
    options.signal?.throwIfAborted();
    const { chain, model } = await prepare(options);
    secrets = secretsOf(model);
    const answer = await chain.invoke({ input: options.query }, runConfig(options, run.signal));
    settled = true;
    return answer;
  } catch (error) {
    throw toCompletionError(error, { signal: options.signal, secrets });
  } finally {
    // A run that finished has nothing to cancel; aborting it anyway costs a DOMException and
    // openai-node's abort listener (~0.1 ms a request, measured with bench/profile.ts).
    if (!settled) run.abort();
  }
}

const DONE: IteratorResult<string> = Object.freeze({ value: undefined, done: true });

/**
 * The streaming path, as the original: the chain runs in the background with an
 * {@link AsyncIteratorCallbackHandler} attached, and the caller reads the handler's tokens. Leaving
 * the loop early — `break`, `return()`, a thrown error — or aborting `signal` aborts the run's signal,
 * which cancels the upstream fetch at once (breaking out of LangChain's `OpenAI` completions
 * `.stream()` only closes the socket when the next token arrives).
 *
 * Written out rather than as an async generator delegating to the handler (`yield*`): a token then
 * costs one promise reaction instead of a generator resumption on top of it (the generator's own
 * time was ~2 µs a token in a paced profile, `bench/profile.ts completion --delay=5`).
 */
class CompletionStream implements AsyncIterableIterator<string> {
  private state: "idle" | "starting" | "streaming" | "done" = "idle";
  private readonly controller: { signal: AbortSignal; abort(): void };
  private readonly handler = new AsyncIteratorCallbackHandler();
  private tokens: AsyncIterator<string> | undefined;
  private starting: Promise<IteratorResult<string>> | undefined;
  private finishing: Promise<IteratorResult<string>> | undefined;
  private run: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  private secrets: string[] = [];
  private settled = false;

  constructor(private readonly options: ParsedCompletionOptions) {
    this.controller = runSignal(options.signal);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<string> {
    return this;
  }

  next(): Promise<IteratorResult<string>> {
    switch (this.state) {
      case "streaming":
        return (this.tokens as AsyncIterator<string>).next().then(this.onToken, this.onError);
      case "idle":
        this.state = "starting";
        this.starting = this.start();
        return this.starting;
      case "starting": {
        const again = () => this.next();
        return (this.starting as Promise<unknown>).then(again, again);
      }
      default:
        return Promise.resolve(DONE);
    }
  }

  /** Leaving early: the upstream request stops at once; a finished run has nothing to cancel. */
  async return(): Promise<IteratorResult<string>> {
    if (this.state !== "done") this.end();
    await this.tokens?.return?.();
    return DONE;
  }

  private end(): void {
    this.state = "done";
    if (!this.settled) this.controller.abort();
  }

  private fail(error: unknown): never {
    this.end();
    throw toCompletionError(error, { signal: this.options.signal, secrets: this.secrets });
  }

  private async start(): Promise<IteratorResult<string>> {
    const { options, handler } = this;
    let rendered = "";
    let chain: Prepared["chain"];
    try {
      options.signal?.throwIfAborted();
      const prepared = await prepare(options, handler);
      chain = prepared.chain;
      this.secrets = secretsOf(prepared.model);
      if (options.echo) rendered = await prepared.template.format({ input: options.query });
    } catch (error) {
      this.fail(error);
    }
    if (this.state === "done") return DONE; // return() was called while preparing
    this.tokens = handler.aiter();
    this.run = chain
      .invoke(
        { input: options.query },
        withHandler(runConfig(options, this.controller.signal), handler),
      )
      .then(
        () => handler.close(),
        (error: unknown) => {
          this.failure = { error };
          handler.close(error);
        },
      );
    this.state = "streaming";
    return rendered === "" ? this.next() : { value: rendered, done: false };
  }

  private readonly onToken = (
    result: IteratorResult<string>,
  ): Promise<IteratorResult<string>> | IteratorResult<string> => {
    if (!result.done) return result;
    if (this.state === "done") return DONE; // return() was called while this call waited
    this.finishing ??= this.finish();
    return this.finishing;
  };

  private readonly onError = (error: unknown): IteratorResult<string> => {
    if (this.state === "done") return DONE; // return() was called while this call waited
    return this.fail(error);
  };

  /**
   * The handler ends at the model's end; the chain may still fail after it (a stream without a
   * finish reason), so the run is waited for before reporting success.
   */
  private async finish(): Promise<IteratorResult<string>> {
    await this.run;
    if (this.failure) this.fail(this.failure.error);
    this.settled = true;
    this.state = "done";
    return DONE;
  }
}

/**
 * Turns one query into a completion: named prompt template → model → tokens (`stream: true`) or one
 * string. Options are validated before any network traffic.
 *
 * @param options - see {@link CompletionOptions}; `query` is required
 * @returns `stream: true` → an `AsyncIterable<string>` of non-empty tokens, readable once;
 * otherwise a `Promise<string>` of the whole answer (the concatenation the stream would yield)
 * @throws CompletionError `invalid_options` — synchronously for `stream: true`, as a rejection
 * otherwise; every later failure is a `CompletionError` thrown by the iterator or the promise
 * @example
 * ```ts
 * for await (const token of completion({ query: "恼羞成怒", stream: true })) {
 *   process.stdout.write(token);
 * }
 * const whole = await completion({ query: "恼羞成怒", temperature: 0.2 });
 * ```
 */
export function completion(options: CompletionOptions & { stream: true }): AsyncIterable<string>;
export function completion(
  options: CompletionOptions & { stream?: false | undefined },
): Promise<string>;
export function completion(options: CompletionOptions): AsyncIterable<string> | Promise<string>;
export function completion(options: CompletionOptions): AsyncIterable<string> | Promise<string> {
  const streaming = typeof options === "object" && options !== null && options.stream === true;
  let parsed: ParsedCompletionOptions;
  try {
    parsed = parseCompletionOptions(options);
  } catch (error) {
    if (streaming) throw error;
    return Promise.reject(error);
  }
  if (!parsed.stream) return completeWhole(parsed);
  let started = false;
  return {
    [Symbol.asyncIterator]() {
      if (started) {
        throw new CompletionError(
          "invalid_options",
          "A completion stream can be iterated only once; call completion() again for a new one",
        );
      }
      started = true;
      return new CompletionStream(parsed);
    },
  };
}
