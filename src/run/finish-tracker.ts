import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { LLMResult } from "@langchain/core/outputs";
import { finishReasonOfResult } from "./chunks.js";

/**
 * Records the finish reason a model reported at the end of its run, for the one case where the
 * chunks themselves do not carry it: an LLM streamed as bare strings through a wrapper
 * (`.withRetry()`, `.withFallbacks()`) or an LLM that cannot stream. openai-node ends a stream
 * quietly when the connection closes cleanly before `[DONE]` (openai v6 `core/streaming`), so the
 * finish reason is the only sign that the answer is whole. Every token is dispatched to it too, so
 * it is attached only then.
 */
export class FinishTracker extends BaseCallbackHandler {
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
