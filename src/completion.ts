import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { CallbackManager, Callbacks } from "@langchain/core/callbacks/manager";
import { ensureConfig, type RunnableConfig } from "@langchain/core/runnables";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { CompletionChain } from "./chain.js";
import type { RunExtras } from "./chain-options.js";
import { CompletionError, isCompletionError } from "./errors.js";
import { resolveModel } from "./build-model.js";
import type { CompletionOptions, ParsedCompletionOptions } from "./options.js";
import { parseCompletionOptions } from "./parse-options.js";
import { loadPromptTemplate, parsePromptTemplate } from "./prompts.js";
import { toCompletionError } from "./run/failures.js";
import { concatenate } from "./run/consume.js";
import type { CompletionRun } from "./run/run.js";
import { secretsOf } from "./model-secrets.js";

/**
 * The run config of one `completion()` call. Called inside a LangChain run — a LangGraph node, a
 * `RunnableLambda` — the parent's config is inherited as LangChain's own runnables inherit it, except
 * that the caller's `callbacks` are added to the parent's rather than replacing them (so the graph's
 * `streamMode: "messages"` and `streamEvents` still see the tokens), and the caller's `signal` is
 * obeyed alongside the parent's rather than instead of it.
 */
function runConfig(options: ParsedCompletionOptions): RunnableConfig {
  const inherited = AsyncLocalStorageProviderSingleton.getRunnableConfig() as
    | RunnableConfig
    | undefined;
  const own: RunnableConfig = {};
  const callbacks = joinCallbacks(inherited?.callbacks, options.callbacks);
  if (callbacks !== undefined) own.callbacks = callbacks;
  if (options.tags !== undefined) own.tags = options.tags;
  if (options.metadata !== undefined) own.metadata = options.metadata;
  if (options.runName !== undefined) own.runName = options.runName;
  return ensureConfig(own);
}

function joinCallbacks(inherited: Callbacks | undefined, own: Callbacks | undefined) {
  if (own === undefined) return inherited;
  if (inherited === undefined) return own;
  const handlers = (Array.isArray(own) ? own : own.handlers).map((handler) =>
    // A plain object of methods is made a handler, as CallbackManager.configure does.
    typeof (handler as BaseCallbackHandler).copy === "function"
      ? (handler as BaseCallbackHandler)
      : BaseCallbackHandler.fromMethods(handler),
  );
  if (Array.isArray(inherited)) return [...inherited, ...handlers];
  return (inherited as CallbackManager).copy(handlers);
}

/** Everything that can fail before the model is called: model lookup, template lookup and parse. */
async function openRun(
  options: ParsedCompletionOptions,
  extras: RunExtras,
): Promise<CompletionRun> {
  const model = await resolveModel(
    options.model,
    // A call's timeout replaces the entry's, the request's own (up to the headers) included.
    { temperature: options.temperature, maxTokens: options.maxTokens, timeout: options.timeout },
    { models: options.models },
  );
  try {
    const template =
      options.prompt === undefined
        ? await loadPromptTemplate(options.promptName, { promptsDir: options.promptsDir })
        : typeof options.prompt === "string"
          ? parsePromptTemplate(options.prompt)
          : options.prompt;
    const chain = new CompletionChain({
      model,
      prompt: template,
      echo: options.echo,
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    });
    const config = runConfig(options);
    return await chain.openStream({ input: options.query }, config, {
      ...extras,
      signals: [config.signal, options.signal, ...(extras.signals ?? [])],
    });
  } catch (error) {
    throw isCompletionError(error)
      ? error
      : toCompletionError(error, { secrets: secretsOf(model) });
  }
}

const DONE: IteratorResult<string> = Object.freeze({ value: undefined, done: true });

/**
 * The stream of `completion({ stream: true })`: it opens its run at the first `next()` and reads the
 * run's tokens directly. Leaving the loop early — `break`, `return()`, a thrown error — or aborting
 * `signal` aborts the upstream request at once (breaking out of LangChain's `OpenAI` completions
 * `.stream()` only closes the socket when the next token arrives).
 */
class CompletionStream implements AsyncIterableIterator<string> {
  private run: CompletionRun | undefined;
  private starting: Promise<CompletionRun> | undefined;
  private ended = false;

  constructor(
    private readonly options: ParsedCompletionOptions,
    private readonly extras: RunExtras,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<string> {
    return this;
  }

  next(): Promise<IteratorResult<string>> {
    if (this.run !== undefined) return this.run.next();
    if (this.ended) return Promise.resolve(DONE);
    this.starting ??= this.start();
    return this.starting.then(
      (run) => (this.ended ? DONE : run.next()),
      (error: unknown) => {
        if (this.ended) return DONE;
        this.ended = true;
        throw error;
      },
    );
  }

  /** The whole answer: every token, concatenated. */
  text(): Promise<string> {
    return concatenate(this);
  }

  async return(): Promise<IteratorResult<string>> {
    this.ended = true;
    if (this.run !== undefined) return this.run.return();
    // Leaving while the run is being prepared: it is returned as soon as it exists.
    this.starting?.then((run) => run.return(), ignore);
    return DONE;
  }

  private async start(): Promise<CompletionRun> {
    const { signal } = this.options;
    if (signal?.aborted) {
      throw new CompletionError("aborted", "The completion was aborted by its signal.", {
        cause: signal.reason,
      });
    }
    const run = await openRun(this.options, this.extras);
    if (!this.ended) this.run = run;
    return run;
  }
}

function ignore(): void {}

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
  if (!parsed.stream) return new CompletionStream(parsed, {}).text();
  return readOnce(parsed, {});
}

/**
 * `completion()` for this package's HTTP endpoint: parsed options, plus the server's signal and
 * default time limit.
 *
 * @internal
 */
export function completionStream(
  options: ParsedCompletionOptions,
  extras: RunExtras,
): AsyncIterator<string> {
  return new CompletionStream(options, extras);
}

function readOnce(parsed: ParsedCompletionOptions, extras: RunExtras): AsyncIterable<string> {
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
      return new CompletionStream(parsed, extras);
    },
  };
}
