/**
 * Reading a model's chunks: their text and, at the end, the finish reason that tells a whole answer
 * from one cut short. The chunks are what {@link openModelStream} yields: strings (an LLM through
 * `.stream()`), `GenerationChunk`s (an LLM driven directly) or message chunks (a chat model).
 *
 * @packageDocumentation
 */

import type { LLMResult } from "@langchain/core/outputs";

interface ChunkShape {
  content?: unknown;
  text?: unknown;
  generationInfo?: Record<string, unknown>;
  response_metadata?: Record<string, unknown>;
}

/** A chunk's text: a string itself, a message's content (text parts of multi-part content), a generation's text. */
export function textOf(chunk: unknown): string {
  if (typeof chunk === "string") return chunk;
  if (typeof chunk !== "object" || chunk === null) return "";
  const { content, text } = chunk as ChunkShape;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    let joined = "";
    for (const part of content) {
      if (typeof part === "string") joined += part;
      else if (typeof part?.text === "string") joined += part.text;
    }
    return joined;
  }
  return typeof text === "string" ? text : "";
}

/**
 * A chunk's finish reason, if it carries one: `finishReason` from LangChain's `OpenAI` (completions)
 * generation info, `finish_reason` from a chat message's response metadata.
 */
export function finishOf(chunk: unknown): string | undefined {
  if (typeof chunk !== "object" || chunk === null) return undefined;
  const { generationInfo, response_metadata } = chunk as ChunkShape;
  const reason =
    response_metadata?.finish_reason ??
    generationInfo?.finishReason ??
    generationInfo?.finish_reason;
  return typeof reason === "string" && reason !== "" ? reason : undefined;
}

/** The finish reason in a model run's result (as a callback's `handleLLMEnd` receives it). */
export function finishReasonOfResult(output: LLMResult): string | null {
  const generation = output.generations[0]?.[0] as
    | (ChunkShape & { message?: ChunkShape })
    | undefined;
  return (
    finishOf(generation) ?? (generation?.message ? finishOf(generation.message) : undefined) ?? null
  );
}
