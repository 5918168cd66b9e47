/**
 * What a run is given before it starts.
 *
 * @packageDocumentation
 */

import type { CallbackManagerForChainRun } from "@langchain/core/callbacks/manager";
import type { BasePromptValueInterface } from "@langchain/core/prompt_values";
import type { RunnableConfig } from "@langchain/core/runnables";

/** Everything a run needs, decided before it starts. */
export interface RunPlan {
  /** A LangChain model, or a runnable wrapping one. */
  model: unknown;
  /** The rendered prompt. */
  input: BasePromptValueInterface;
  /** Text yielded before the model's tokens (the rendered prompt, for `echo`), or "". */
  echo: string;
  /** The model run's config: callbacks (children of the chain run), tags, metadata. */
  config: RunnableConfig;
  /** Signals the run obeys: the caller's, an inherited one, a server's. */
  signals: readonly (AbortSignal | undefined)[];
  /** Milliseconds the run may wait on the endpoint at a time. */
  timeout: number;
  /** Fail when the stream ends without a finish reason; `undefined`: when the model reports one. */
  requireFinishReason: boolean | undefined;
  /** The chain run this run ends (with its output) or fails, if the caller left that to the run. */
  chainRun?: CallbackManagerForChainRun | undefined;
}
