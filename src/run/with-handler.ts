import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { RunnableConfig } from "@langchain/core/runnables";

/** `config` with one more callback handler, whatever shape its `callbacks` has. */
export function withHandler(config: RunnableConfig, handler: BaseCallbackHandler): RunnableConfig {
  const callbacks: Callbacks | undefined = config.callbacks;
  if (callbacks === undefined) return { ...config, callbacks: [handler] };
  if (Array.isArray(callbacks)) return { ...config, callbacks: [...callbacks, handler] };
  return { ...config, callbacks: callbacks.copy([handler]) };
}
