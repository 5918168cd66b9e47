import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { LLMResult } from "@langchain/core/outputs";

/**
 * Records the `finish_reason` a model reported at the end of its run. openai-node ends a stream
 * quietly when the connection closes cleanly before `[DONE]` (openai v6 `core/streaming`), so the
 * finish reason is the only sign that the answer is whole.
 */
export class FinishTracker extends BaseCallbackHandler implements FinishReasonHolder {
  name = "CompletionChainFinishTracker";
  /** `undefined` until the model ends; then its finish reason, or `null` when it reported none. */
  finishReason: string | null | undefined = undefined;

  constructor() {
    super({ _awaitHandler: true });
  }

  override handleLLMEnd(output: LLMResult): void {
    this.finishReason = finishReasonOfResult(output);
  }
}

/** Where a chain reads the finish reason of its model run from. */
export interface FinishReasonHolder {
  finishReason: string | null | undefined;
}

/** The finish reason in a model run's result, or `null` when it reported none. */
export function finishReasonOfResult(output: LLMResult): string | null {
  const generation = output.generations[0]?.[0] as
    | {
        generationInfo?: Record<string, unknown>;
        message?: { response_metadata?: Record<string, unknown> };
      }
    | undefined;
  // `finishReason` from LangChain's OpenAI (completions), `finish_reason` from ChatOpenAI.
  const reason =
    generation?.generationInfo?.finishReason ??
    generation?.generationInfo?.finish_reason ??
    generation?.message?.response_metadata?.finish_reason;
  return typeof reason === "string" && reason !== "" ? reason : null;
}
