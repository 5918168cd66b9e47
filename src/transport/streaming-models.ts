/**
 * The LangChain models the registry builds: `@langchain/openai`'s `OpenAI` and `ChatOpenAI`, with
 * their streamed requests sent by this package's node transport (`node-event-stream.ts`) instead of
 * the openai SDK's `fetch` and web streams. Everything above the request is LangChain's own code,
 * untouched: the request body (`invocationParams`), the retries (`caller`), the chunk objects, the
 * callbacks every token is dispatched to, tracing and `streamEvents`. Only `completionWithRetry` for
 * `stream: true` bodies is overridden (LangChain calls it from `_streamResponseChunks` and gets back
 * the async iterable of parsed chunks the SDK's `Stream` would be); everything else — non-streamed
 * calls, the Responses API, runtimes without `node:http` — goes through the SDK as before.
 *
 * @packageDocumentation
 */

import type { BaseLanguageModel } from "@langchain/core/language_models/base";
import type { BaseMessage } from "@langchain/core/messages";
import { GenerationChunk } from "@langchain/core/outputs";
import {
  ChatOpenAI,
  ChatOpenAICompletions,
  type ChatOpenAIFields,
  convertMessagesToCompletionsMessageParams,
  getHeadersWithUserAgent,
  OpenAI,
  type OpenAIInput,
  wrapOpenAIClientError,
} from "@langchain/openai";
import { processEnv } from "../environment.js";
import { MAX_UPSTREAM_EVENT_BYTES } from "../upstream-fetch.js";

type NodeTransport = typeof import("./node-event-stream.js");
type NodeEventStream = import("./node-event-stream.js").NodeEventStream;

/** The openai SDK's defaults, kept: its base URL and its 10-minute request timeout. */
const DEFAULT_BASE_URL = "https://api.openai.com/v1";
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

let transport: Promise<NodeTransport | undefined> | undefined;

/** The node transport, loaded on first use; `undefined` where there is no `node:http`. */
function nodeTransport(): Promise<NodeTransport | undefined> {
  transport ??=
    typeof process === "object" && typeof process.versions?.node === "string"
      ? import("./node-event-stream.js").catch(() => undefined)
      : Promise.resolve(undefined);
  return transport;
}

/** What the overrides read of the model they belong to (fields of LangChain's OpenAI classes). */
interface ModelFields {
  clientConfig: {
    baseURL?: string | null;
    apiKey?: unknown;
    organization?: string | null;
    project?: string | null;
    defaultHeaders?: unknown;
  };
  timeout?: number | undefined;
  caller: {
    callWithOptions<T>(options: { maxRetries?: number }, fn: () => Promise<T>): Promise<T>;
  };
}

/** The call options the SDK would have read from the request options LangChain hands it. */
interface CallOptions {
  maxRetries?: number;
  signal?: AbortSignal;
  timeout?: number;
  headers?: Record<string, string | null | undefined>;
}

/** Where a model's streamed requests go and the headers they carry, the same for all of them. */
interface Target {
  /** The base URL, as the SDK's `buildURL` starts from. */
  base: string;
  headers: Record<string, string>;
}

/** Each model's {@link Target}: computed once, on its first streamed request. */
const targets = new WeakMap<object, Target>();

function targetOf(model: ModelFields): Target {
  const cached = targets.get(model);
  if (cached !== undefined) return cached;
  const config = model.clientConfig;
  const env = processEnv();
  const headers: Record<string, string> = {
    accept: "application/json",
    "content-type": "application/json",
  };
  // LangChain's client gets these as its default headers (`_getClientOptions`): its User-Agent.
  for (const [name, value] of Object.entries(
    getHeadersWithUserAgent(config.defaultHeaders as Record<string, string> | undefined),
  )) {
    headers[name.toLowerCase()] = value;
  }
  const apiKey = typeof config.apiKey === "string" ? config.apiKey : undefined;
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  // As fetch's Headers do: leading and trailing HTTP whitespace is not part of a value (a key read
  // from a file keeps its newline); Node would refuse the request for it.
  for (const name of Object.keys(headers))
    headers[name] = trimHttpWhitespace(headers[name] as string);
  const organization = config.organization ?? env.OPENAI_ORG_ID;
  if (organization) headers["openai-organization"] = organization;
  const project = config.project ?? env.OPENAI_PROJECT_ID;
  if (project) headers["openai-project"] = project;
  // The SDK reads OPENAI_BASE_URL when its client is made, once, as this does.
  const base = config.baseURL || env.OPENAI_BASE_URL || DEFAULT_BASE_URL;
  const target = { base, headers };
  targets.set(model, target);
  return target;
}

function trimHttpWhitespace(value: string): string {
  return value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
}

/**
 * `completionWithRetry` for a streamed body: LangChain's retry wrapper around one request sent by the
 * node transport, its errors wrapped as LangChain wraps the SDK's.
 */
async function streamedRequest(
  model: ModelFields,
  path: string,
  request: Record<string, unknown>,
  options: CallOptions | undefined,
  viaSdk: () => Promise<unknown>,
): Promise<unknown> {
  const node = await nodeTransport();
  if (node === undefined) return viaSdk();
  const { maxRetries, signal, timeout, headers: callHeaders } = options ?? {};
  const target = targetOf(model);
  // The SDK's `buildURL`: the path appended, one slash between.
  const url = target.base.endsWith("/") ? target.base + path.slice(1) : target.base + path;
  let headers = target.headers;
  if (callHeaders !== undefined) {
    headers = { ...headers };
    for (const [name, value] of Object.entries(callHeaders)) {
      if (value === null || value === undefined) delete headers[name.toLowerCase()];
      else headers[name.toLowerCase()] = trimHttpWhitespace(String(value));
    }
  }
  const body = JSON.stringify(request);
  return model.caller.callWithOptions({ maxRetries }, async () => {
    try {
      return await node.openEventStream({
        url,
        headers,
        body,
        signal,
        timeout: timeout ?? model.timeout ?? DEFAULT_TIMEOUT_MS,
        maxEventBytes: MAX_UPSTREAM_EVENT_BYTES,
      });
    } catch (error) {
      throw wrapOpenAIClientError(error);
    }
  });
}

/**
 * The transport's stream `completionWithRetry` returned, its chunks mapped by `transform` and its
 * abort ending as LangChain's chunk loop ends (see `NodeEventStream.mapChunks`).
 */
function mapped<T>(
  stream: unknown,
  transform: (chunk: unknown) => T | undefined,
): AsyncIterator<T> {
  const events = stream as NodeEventStream;
  events.mapChunks(transform, abortError);
  return events as AsyncIterator<T>;
}

/** What `_streamResponseChunks` of `@langchain/openai`'s `OpenAI` (1.5, `llms.js`) yields for one chunk. */
function generationChunkOf(data: unknown): GenerationChunk | undefined {
  // As LangChain reads it, `data?.choices[0]`: a chunk without `choices` throws there too.
  const choice = (data as { choices: { text?: string; finish_reason?: string | null }[] } | null)
    ?.choices[0];
  if (!choice) return undefined;
  return new GenerationChunk({
    text: choice.text as string,
    generationInfo: { finishReason: choice.finish_reason },
  });
}

/** What LangChain's `_streamResponseChunks` throws after its loop when the signal aborted it. */
function abortError(): Error {
  return new Error("AbortError");
}

/** `@langchain/openai`'s completions model, its streamed requests on the node transport. */
export class StreamingOpenAI extends OpenAI {
  // biome-ignore lint/suspicious/noExplicitAny: the overloads return the SDK's Stream or Completion
  override async completionWithRetry(request: any, options?: any): Promise<any> {
    if (request?.stream !== true) return super.completionWithRetry(request, options);
    return streamedRequest(this as unknown as ModelFields, "/completions", request, options, () =>
      super.completionWithRetry(request, options),
    );
  }

  /**
   * @internal The chunks `_streamResponseChunks(prompt, options)` would yield, as the transport's
   * own iterator instead of LangChain's generator around it: for a run no callback handler watches
   * (the token callbacks that generator fires have no one to reach; the caller checks). `undefined`
   * where the node transport is not available.
   */
  async streamChunksDirect(
    prompt: string,
    options: this["ParsedCallOptions"],
  ): Promise<AsyncIterator<GenerationChunk> | undefined> {
    if ((await nodeTransport()) === undefined) return undefined;
    const params = { ...this.invocationParams(options), prompt, stream: true };
    return mapped(await this.completionWithRetry(params, options), generationChunkOf);
  }
}

/** `ChatOpenAI`'s Chat Completions half, its streamed requests on the node transport. */
class StreamingChatCompletions extends ChatOpenAICompletions {
  // biome-ignore lint/suspicious/noExplicitAny: the overloads return the SDK's Stream or ChatCompletion
  override async completionWithRetry(request: any, options?: any): Promise<any> {
    if (request?.stream !== true) return super.completionWithRetry(request, options);
    return streamedRequest(
      this as unknown as ModelFields,
      "/chat/completions",
      request,
      options,
      () => super.completionWithRetry(request, options),
    );
  }
}

/** A chat chunk as this package's run reads one: its text and, on the last, its finish reason. */
export interface ChatTextChunk {
  content: string;
  response_metadata: { finish_reason?: string };
}

const NO_METADATA: ChatTextChunk["response_metadata"] = Object.freeze({});

/**
 * The text and finish reason of what `ChatOpenAICompletions._streamResponseChunks` (1.5,
 * `chat_models/completions.js`) would make of one chunk; `undefined` where it yields nothing (no
 * first choice, no delta, non-string content). The usage chunk at the end carries no text.
 */
function chatTextChunkOf(data: unknown): ChatTextChunk | undefined {
  const choice = (
    data as { choices?: { delta?: { content?: unknown }; finish_reason?: string | null }[] } | null
  )?.choices?.[0];
  const delta = choice?.delta;
  if (!delta) return undefined;
  const content = delta.content ?? "";
  if (typeof content !== "string") return undefined;
  const reason = choice.finish_reason;
  return {
    content,
    response_metadata: reason == null ? NO_METADATA : { finish_reason: reason },
  };
}

/**
 * `ChatOpenAI`, its Chat Completions streams on the node transport (the Responses API, when a call
 * asks for it, stays on the SDK).
 */
export class StreamingChatOpenAI extends ChatOpenAI {
  constructor(fields: ChatOpenAIFields) {
    super(fields);
    this.completions = new StreamingChatCompletions(fields);
  }

  /**
   * @internal The text and finish reason of each chunk `_streamIterator(messages, options)` would
   * yield, straight from the transport, for a run no callback handler watches: no message chunk
   * objects are built (nobody but this package's run sees them, and it reads only those two), none
   * summed. `undefined` where the node transport is not available, or the call goes to the
   * Responses API.
   */
  async streamChunksDirect(
    messages: BaseMessage[],
    callOptions: this["ParsedCallOptions"],
  ): Promise<AsyncIterator<ChatTextChunk> | undefined> {
    if ((await nodeTransport()) === undefined) return undefined;
    const options = this._combineCallOptions(callOptions);
    if (this._useResponsesApi(options)) return undefined;
    const completions = this.completions;
    const params = {
      ...completions.invocationParams(options, { streaming: true }),
      messages: convertMessagesToCompletionsMessageParams({ messages, model: completions.model }),
      stream: true,
    };
    return mapped(
      await completions.completionWithRetry(
        params as Parameters<typeof completions.completionWithRetry>[0],
        options,
      ),
      chatTextChunkOf,
    );
  }
}

// LangChain names a serialized model, and the runs it traces, by its class's `name`
// (`get_lc_unique_name` in @langchain/core's load/serializable.js, for a subclass that keeps its
// parent's `lc_name`): these serialize, trace and load back as the classes they extend, the
// transport being no part of their configuration.
Object.defineProperty(StreamingOpenAI, "name", { value: "OpenAI" });
Object.defineProperty(StreamingChatOpenAI, "name", { value: "ChatOpenAI" });

/** Builds the registry's model of `kind` from LangChain's fields. */
export function streamingModel(
  kind: "chat" | "completion",
  fields: ChatOpenAIFields & Partial<OpenAIInput>,
): BaseLanguageModel {
  return kind === "chat" ? new StreamingChatOpenAI(fields) : new StreamingOpenAI(fields);
}
