/**
 * Every member of LangChain (and `@langchain/openai`, `langchain`) that is not public API and that
 * this package touches, in this one file, so that an upgrade has one place to check. Each was read in
 * the versions below; `test/langchain-private.test.ts` fails when one of them disappears.
 *
 * Checked against `@langchain/core` 1.4.0, `@langchain/openai` 1.5.x (1.5.8 source), `langchain`
 * 1.5.14.
 *
 * @packageDocumentation
 */

import type {
  CallbackManagerForChainRun,
  CallbackManagerForLLMRun,
} from "@langchain/core/callbacks/manager";
import { CallbackManager } from "@langchain/core/callbacks/manager";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { BaseLLM } from "@langchain/core/language_models/llms";
import { GenerationChunk } from "@langchain/core/outputs";
import type { BasePromptValueInterface } from "@langchain/core/prompt_values";
import type { Runnable, RunnableConfig } from "@langchain/core/runnables";

/** The private members, by owner, for the test that checks they still exist. */
export const PRIVATE_MEMBERS = {
  /** `Runnable.prototype` — the chain overrides `_streamIterator` and calls the other two. */
  Runnable: ["_streamIterator", "_callWithConfig", "_transformStreamWithConfig"],
  /** `BaseLLM.prototype` — driven by {@link streamLLMChunks}. */
  BaseLLM: [
    "_streamResponseChunks",
    "_separateRunnableConfigFromCallOptionsCompat",
    "_filterInvocationParamsForTracing",
    "_streamIterator",
    "_modelType",
  ],
  /** `BaseChatModel.prototype` — its `_streamIterator` is iterated directly. */
  BaseChatModel: ["_streamResponseChunks", "_streamIterator", "_modelType"],
  /** Fields of `ChatOpenAI`/`OpenAI` instances: endpoint, key, request timeout, `streaming: false`. */
  ChatOpenAI: ["clientConfig", "apiKey", "timeout", "disableStreaming"],
  /** `ConfigurableModel.prototype` (`initChatModel`'s class, in `langchain`). */
  ConfigurableModel: ["_getModelInstance"],
} as const;

type Any = Record<string, unknown> & {
  // biome-ignore lint/suspicious/noExplicitAny: private members have no public types
  [key: string]: any;
};

/** True for a LangChain chat model or LLM (duck-typed: apps may carry two copies of core). */
export function isLanguageModel(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Any)._llmType === "function" &&
    typeof (value as Any)._modelType === "function" &&
    typeof (value as Any).stream === "function"
  );
}

/** `initChatModel`'s `ConfigurableModel`: the real model is built per config, on first use. */
function isConfigurable(model: unknown): boolean {
  return typeof (model as Any)?._getModelInstance === "function";
}

/**
 * The models inside `model`: itself, or those it wraps — `.withRetry()`/`.bind()`/`.withConfig()`
 * (`RunnableBinding.bound`), `.withFallbacks()` (`runnable`, `fallbacks`) and the instances an
 * `initChatModel` model has built so far.
 *
 * @param model - a model or a runnable wrapping models
 */
export function unwrapModels(model: unknown, depth = 0): object[] {
  if (typeof model !== "object" || model === null || depth > 8) return [];
  const record = model as Any;
  const inner: unknown[] = [];
  if (record.bound !== undefined) inner.push(record.bound);
  if (record.runnable !== undefined) inner.push(record.runnable);
  if (Array.isArray(record.fallbacks)) inner.push(...record.fallbacks);
  if (record._modelInstanceCache instanceof Map) inner.push(...record._modelInstanceCache.values());
  if (inner.length === 0) return [model];
  return inner.flatMap((item) => unwrapModels(item, depth + 1));
}

/**
 * True when every model inside `model` is LangChain's `OpenAI` or `ChatOpenAI`, whose runs report the
 * endpoint's `finish_reason`: for them a stream that ends without one was cut short.
 */
export function reportsFinishReason(model: unknown): boolean {
  const models = unwrapModels(model);
  return (
    models.length > 0 &&
    models.every((inner) => isLanguageModel(inner) && (inner as Any)._llmType() === "openai")
  );
}

/** True when every model inside `model` is a chat model (its chunks carry their finish reason). */
export function onlyChatModels(model: unknown): boolean {
  return unwrapModels(model).every(
    (inner) => isLanguageModel(inner) && (inner as Any)._modelType() === "base_chat_model",
  );
}

/** The endpoint a model sends to, without credentials, when it says (`ChatOpenAI`, `OpenAI`). */
export function endpointOf(model: unknown): string | undefined {
  const [first] = unwrapModels(model);
  const record = first as Any | undefined;
  const url = record?.clientConfig?.baseURL ?? record?.client?.baseURL;
  return typeof url === "string" && url !== "" ? url : undefined;
}

/** A model's own request timeout in ms (`ChatOpenAI({ timeout })`), if it has one. */
export function timeoutOf(model: unknown): number | undefined {
  const [first] = unwrapModels(model);
  const timeout = (first as Any | undefined)?.timeout;
  return typeof timeout === "number" && timeout > 0 ? timeout : undefined;
}

/**
 * The model to drive for one call: an `initChatModel` model is resolved to the instance it builds for
 * `config` (its `.stream()` would give the same; its `_streamIterator` is not overridden and would
 * make one non-streamed request).
 */
export async function resolveModelFor(model: unknown, config: RunnableConfig): Promise<unknown> {
  let current = model;
  for (let depth = 0; depth < 4 && isConfigurable(current); depth += 1) {
    current = await (current as Any)._getModelInstance(config);
  }
  return current;
}

/** How a model is streamed; see {@link openModelStream}. */
export type Driver = "llm-chunks" | "model-iterator" | "runnable-stream";

/** True when `model` implements token streaming itself rather than inheriting the base class's stub. */
function overrides(model: unknown, base: { prototype: object }, method: string): boolean {
  const own = (model as Any)[method];
  if (own === (base.prototype as Any)[method]) return false;
  // A second copy of core: find the owner by name.
  let proto = Object.getPrototypeOf(model);
  while (proto !== null && !Object.hasOwn(proto, method)) proto = Object.getPrototypeOf(proto);
  const owner = proto?.constructor?.name;
  return owner !== "BaseLLM" && owner !== "BaseChatModel";
}

/** Which way {@link openModelStream} streams `model` (already resolved by {@link resolveModelFor}). */
export function driverFor(model: unknown): Driver {
  if (!isLanguageModel(model)) return "runnable-stream";
  const record = model as Any;
  if (record._modelType() === "base_llm" && overrides(model, BaseLLM, "_streamResponseChunks")) {
    return "llm-chunks";
  }
  return "model-iterator";
}

/**
 * The model's stream, chunk by chunk, with its callbacks (start, tokens, end or error) as the model's
 * own `.stream()` would fire them, but without the per-chunk layers `.stream()` adds:
 *
 * - `llm-chunks`: an LLM's `_streamResponseChunks` driven by {@link streamLLMChunks}, which yields
 *   the `GenerationChunk`s themselves — `BaseLLM._streamIterator` yields only their text, dropping
 *   the `finishReason` that tells a whole answer from a cut one.
 * - `model-iterator`: the model's `_streamIterator` (what `.stream()` wraps); a chat model's chunks
 *   carry their finish reason. A model that cannot stream (`ChatOpenAI({ streaming: false })`, a
 *   model without `_streamResponseChunks`) yields its whole answer as one chunk.
 * - `runnable-stream`: anything else — `.withRetry()`, `.withFallbacks()`, `.bind()` — through its
 *   public `.stream()`.
 */
export async function openModelStream(
  model: unknown,
  driver: Driver,
  input: BasePromptValueInterface,
  config: RunnableConfig,
): Promise<AsyncIterator<unknown>> {
  if (driver === "llm-chunks") return openLLMChunks(model as Any, input, config);
  if (driver === "model-iterator") return openChatChunks(model as Any, input, config);
  const stream = await (model as Runnable).stream(input, config);
  return stream[Symbol.asyncIterator]();
}

/**
 * The callback manager a model run of `model` under `config` gets, as the model's own
 * `_streamIterator` configures it (its handlers and the config's, tags, metadata, verbosity, the
 * tracers the environment turns on): `undefined` when nothing would watch the run.
 */
async function callbacksOf(
  model: Any,
  config: RunnableConfig,
  options: { tracerInheritableMetadata?: Record<string, unknown> } = {},
): Promise<CallbackManager | undefined> {
  return await CallbackManager.configure(
    config.callbacks,
    model.callbacks,
    config.tags,
    model.tags,
    config.metadata,
    model.metadata,
    { verbose: model.verbose, ...options },
  );
}

/**
 * `BaseLLM._streamIterator` of `@langchain/core` 1.4.0 (`language_models/llms.js`), line for line,
 * except that it yields the chunks rather than their text, sums them only when a callback handler
 * will receive the sum, and waits for each token callback before the next chunk. LangChain's
 * `OpenAI` fires `handleLLMNewToken` without awaiting it (`llms.js` of `@langchain/openai` 1.5), so
 * a handler that holds the model back when its consumer stops reading (the bounded
 * `AsyncIteratorCallbackHandler`) could not; chat models await theirs.
 *
 * A run no handler watches (no callbacks, no tracer) on a model that offers `streamChunksDirect`
 * (the registry's `StreamingOpenAI`, see transport/streaming-models.ts) reads the same chunks
 * straight from its transport: no generator layers per token, nothing observable lost — the
 * callbacks those layers fire have no one to reach.
 */
async function openLLMChunks(
  model: Any,
  input: BasePromptValueInterface,
  options: RunnableConfig,
): Promise<AsyncIterator<GenerationChunk>> {
  const prompt = input.toString();
  const [runnableConfig, callOptions] = model._separateRunnableConfigFromCallOptionsCompat(options);
  const invocationParams = model.invocationParams(callOptions);
  const callbackManager = await callbacksOf(model, runnableConfig, {
    tracerInheritableMetadata: model._filterInvocationParamsForTracing(invocationParams),
  });
  if (callbackManager === undefined && typeof model.streamChunksDirect === "function") {
    const direct = await model.streamChunksDirect(prompt, callOptions);
    if (direct !== undefined) return direct;
  }
  const extra = { options: callOptions, invocation_params: invocationParams, batch_size: 1 };
  const runManagers = await callbackManager?.handleLLMStart(
    model.toJSON(),
    [prompt],
    runnableConfig.runId,
    undefined,
    extra,
    undefined,
    undefined,
    runnableConfig.runName,
  );
  return streamLLMChunks(model, prompt, callOptions, runManagers);
}

/**
 * A model's `_streamIterator(input, config)` — or, for a run no handler watches on a chat model that
 * offers `streamChunksDirect` (the registry's `StreamingChatOpenAI`), its chunks' text and finish
 * reason straight from its transport, without the message chunks and their running sum that
 * `BaseChatModel._streamIterator` builds for the callbacks.
 */
async function openChatChunks(
  model: Any,
  input: BasePromptValueInterface,
  options: RunnableConfig,
): Promise<AsyncIterator<unknown>> {
  if (typeof model.streamChunksDirect === "function" && model.disableStreaming !== true) {
    const [runnableConfig, callOptions] =
      model._separateRunnableConfigFromCallOptionsCompat(options);
    if ((await callbacksOf(model, runnableConfig)) === undefined) {
      const direct = await model.streamChunksDirect(input.toChatMessages(), callOptions);
      if (direct !== undefined) return direct;
    }
  }
  return model._streamIterator(input, options);
}

/** The chunk loop of {@link openLLMChunks}, its token callbacks awaited, its run ended or failed. */
async function* streamLLMChunks(
  model: Any,
  prompt: string,
  callOptions: unknown,
  runManagers: CallbackManagerForLLMRun[] | undefined,
): AsyncGenerator<GenerationChunk> {
  const summing = runManagers !== undefined && runManagers.length > 0;
  let generation = new GenerationChunk({ text: "" });
  const manager = runManagers?.[0];
  let callback: unknown;
  const watched =
    manager === undefined
      ? undefined
      : new Proxy(manager, {
          get(target, key, receiver) {
            if (key !== "handleLLMNewToken") return Reflect.get(target, key, receiver);
            return (...args: Parameters<typeof target.handleLLMNewToken>) => {
              callback = target.handleLLMNewToken(...args);
              return callback;
            };
          },
        });
  try {
    for await (const chunk of model._streamResponseChunks(prompt, callOptions, watched)) {
      if (callback !== undefined) {
        const pending = callback;
        callback = undefined;
        await pending;
      }
      if (summing) generation = generation.concat(chunk);
      yield chunk;
    }
  } catch (error) {
    await Promise.all((runManagers ?? []).map((manager) => manager.handleLLMError(error)));
    throw error;
  }
  await Promise.all(
    (runManagers ?? []).map((manager) => manager.handleLLMEnd({ generations: [[generation]] })),
  );
}

/** `runnable._callWithConfig(func, input, options)`: one traced run around `func`. */
export function callWithConfig<I, O>(
  runnable: Runnable<I, O>,
  func: (input: I, config: RunnableConfig, runManager?: CallbackManagerForChainRun) => Promise<O>,
  input: I,
  options?: Partial<RunnableConfig>,
): Promise<O> {
  return (runnable as unknown as Any)._callWithConfig(func, input, options);
}

/** `runnable._transformStreamWithConfig(...)`: one traced run around a stream, its chunks reported. */
export function transformStreamWithConfig<I, O>(
  runnable: Runnable<I, O>,
  inputs: AsyncGenerator<I>,
  transformer: (
    inputs: AsyncGenerator<I>,
    runManager?: CallbackManagerForChainRun,
    config?: Partial<RunnableConfig>,
  ) => AsyncGenerator<O>,
  options?: Partial<RunnableConfig>,
): AsyncGenerator<O> {
  return (runnable as unknown as Any)._transformStreamWithConfig(inputs, transformer, options);
}

/** For the test: the prototypes the members above live on. */
export const OWNERS = { BaseLLM, BaseChatModel } as const;
