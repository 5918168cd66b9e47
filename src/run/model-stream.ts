/**
 * Starting one model's stream for a run: resolving the model to drive, choosing how to stream it,
 * and deciding whether its end must carry a finish reason.
 *
 * @packageDocumentation
 */

import type { BasePromptValueInterface } from "@langchain/core/prompt_values";
import type { RunnableConfig } from "@langchain/core/runnables";
import { FinishTracker } from "./finish-tracker.js";
import {
  driverFor,
  onlyChatModels,
  openModelStream,
  reportsFinishReason,
  resolveModelFor,
} from "./langchain-private.js";
import { withHandler } from "./with-handler.js";

/** A model's stream, started. */
export interface ModelStream {
  /** The model's chunks (strings, generation chunks or message chunks). */
  chunks: AsyncIterator<unknown>;
  /** The model driven: the one given, or the one an `initChatModel` model built for this call. */
  model: unknown;
  /** A stream that ends without a finish reason was cut short. */
  requireFinish: boolean;
  /** Where the finish reason is recorded when the chunks cannot carry it. */
  tracker: FinishTracker | undefined;
}

/**
 * Starts streaming `model` on `input`.
 *
 * @param model - a LangChain model or a runnable wrapping one
 * @param input - the rendered prompt
 * @param config - the model run's config, its signal included
 * @param requireFinishReason - `undefined`: when every model inside reports one
 */
export async function startModelStream(
  model: unknown,
  input: BasePromptValueInterface,
  config: RunnableConfig,
  requireFinishReason: boolean | undefined,
): Promise<ModelStream> {
  const driven = await resolveModelFor(model, config);
  const driver = driverFor(driven);
  const requireFinish = requireFinishReason ?? reportsFinishReason(driven);
  // An LLM's strings carry no finish reason, except in the chunks `llm-chunks` yields; chat
  // chunks always do. Only then is a handler attached to watch the run's end (every token is
  // dispatched to it too).
  const tracker =
    requireFinish && driver !== "llm-chunks" && !onlyChatModels(driven)
      ? new FinishTracker()
      : undefined;
  const runConfig = tracker === undefined ? config : withHandler(config, tracker);
  const chunks = await openModelStream(driven, driver, input, runConfig);
  return { chunks, model: driven, requireFinish, tracker };
}
