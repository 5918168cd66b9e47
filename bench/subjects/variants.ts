/**
 * The six ways of streaming the same completion that the benchmark compares, from the bare SDK up
 * to this project's HTTP endpoint. Each consumes its own native iterator directly (no shared
 * wrapper generator), so no variant pays for another's plumbing.
 *
 * @packageDocumentation
 */

import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { BaseLanguageModel } from "@langchain/core/language_models/base";
import { ChatOpenAI, OpenAI as OpenAILLM } from "@langchain/openai";
import { streamText } from "ai";
import OpenAI from "openai";
import { completion, createCompletionChain } from "../../src/index.js";
import { benchRegistry, type Kind, MAX_TOKENS, MODEL_ID, TEMPERATURE } from "./request-settings.js";
import { streamEndpoint } from "./sse-client.js";

/** Where the variants send their requests. */
export interface Targets {
  /** The upstream child, ending in `/v1`. */
  upstreamURL: string;
  /** The in-process `serveCompletion` server, for the HTTP variant. */
  endpointURL: string;
}

/** Streams one answer to `prompt`, calling `onToken` per token, resolving when the stream ends. */
export type StreamOnce = (prompt: string, onToken: (token: string) => void) => Promise<void>;

export interface Variant {
  id: string;
  label: string;
  /** For the chart's axis. */
  short: string;
  /** Said next to the figures, e.g. what the CPU figure includes. */
  note?: string;
  /** Builds the clients once per kind, outside any measurement. */
  prepare(kind: Kind, targets: Targets): StreamOnce;
}

/**
 * LangChain's own model for `kind`, as a user builds it, on openai-node's `fetch` (`completion()`
 * builds the registry's subclasses, which stream on `src/transport/` instead).
 */
export function benchModel(kind: Kind, upstreamURL: string): BaseLanguageModel {
  const fields = {
    model: MODEL_ID[kind],
    temperature: TEMPERATURE,
    maxTokens: MAX_TOKENS,
    apiKey: "EMPTY",
    maxRetries: 0,
    configuration: { baseURL: upstreamURL },
  };
  return kind === "chat" ? new ChatOpenAI(fields) : new OpenAILLM(fields);
}

/** LangChain's chunks: strings from `OpenAI`, `AIMessageChunk`s from `ChatOpenAI`. */
function chunkText(chunk: unknown): string {
  if (typeof chunk === "string") return chunk;
  const content = (chunk as { content?: unknown }).content;
  return typeof content === "string" ? content : "";
}

const rawSdk: Variant = {
  id: "raw-sdk",
  label: "openai SDK (raw)",
  short: "openai SDK",
  prepare(kind, { upstreamURL }) {
    const client = new OpenAI({ baseURL: upstreamURL, apiKey: "EMPTY", maxRetries: 0 });
    const common = { model: MODEL_ID[kind], temperature: TEMPERATURE, max_tokens: MAX_TOKENS };
    if (kind === "completion") {
      return async (prompt, onToken) => {
        const stream = await client.completions.create({ ...common, prompt, stream: true });
        for await (const chunk of stream) {
          const text = chunk.choices[0]?.text;
          if (text) onToken(text);
        }
      };
    }
    return async (prompt, onToken) => {
      const messages = [{ role: "user" as const, content: prompt }];
      const stream = await client.chat.completions.create({ ...common, messages, stream: true });
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta.content;
        if (text) onToken(text);
      }
    };
  },
};

const langchain: Variant = {
  id: "langchain",
  label: "LangChain model .stream()",
  short: "LangChain .stream()",
  prepare(kind, { upstreamURL }) {
    const model = benchModel(kind, upstreamURL);
    return async (prompt, onToken) => {
      for await (const chunk of await model.stream(prompt)) {
        const text = chunkText(chunk);
        if (text !== "") onToken(text);
      }
    };
  },
};

const aiSdk: Variant = {
  id: "ai-sdk",
  label: "AI SDK streamText",
  short: "AI SDK streamText",
  prepare(kind, { upstreamURL }) {
    const provider = createOpenAICompatible({
      baseURL: upstreamURL,
      name: "bench",
      apiKey: "EMPTY",
    });
    const model =
      kind === "chat"
        ? provider.chatModel(MODEL_ID.chat)
        : provider.completionModel(MODEL_ID.completion);
    return async (prompt, onToken) => {
      let failure: { error: unknown } | undefined;
      const result = streamText({
        model,
        prompt,
        temperature: TEMPERATURE,
        maxOutputTokens: MAX_TOKENS,
        maxRetries: 0,
        // streamText reports errors here and just ends textStream; keep them, or a broken stream
        // would pass as a short one.
        onError: ({ error }) => {
          failure = { error };
        },
      });
      for await (const text of result.textStream) onToken(text);
      if (failure) throw failure.error;
    };
  },
};

const completionStream: Variant = {
  id: "completion",
  label: "completion({ stream: true })",
  short: "completion()",
  prepare(kind, { upstreamURL }) {
    const models = benchRegistry(upstreamURL);
    // Built per call by completion() itself (model lookup, client, chain): part of its cost.
    return async (prompt, onToken) => {
      for await (const token of completion({
        query: prompt,
        stream: true,
        model: MODEL_ID[kind],
        models,
      })) {
        onToken(token);
      }
    };
  },
};

const chainStream: Variant = {
  id: "chain",
  label: "createCompletionChain().stream()",
  short: "chain .stream()",
  prepare(kind, { upstreamURL }) {
    const chain = createCompletionChain({ model: benchModel(kind, upstreamURL) });
    return async (prompt, onToken) => {
      for await (const token of await chain.stream({ input: prompt })) onToken(token);
    };
  },
};

const endpoint: Variant = {
  id: "http",
  label: "HTTP endpoint (server + client)",
  short: "HTTP endpoint †",
  note: "CPU counts the endpoint server and its fetch + eventsource-parser client, both in the benchmark process; its TTFT includes the server working through the upstream's burst before the same-process client gets a turn",
  prepare(kind, { endpointURL }) {
    return (prompt, onToken) =>
      streamEndpoint({ baseURL: endpointURL, query: prompt, model: MODEL_ID[kind], onToken });
  },
};

/** In report order; the ratios are taken against the first two. */
export const VARIANTS: readonly Variant[] = [
  rawSdk,
  langchain,
  aiSdk,
  completionStream,
  chainStream,
  endpoint,
];
