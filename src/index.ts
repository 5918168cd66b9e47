export type { AsyncIteratorCallbackHandlerOptions } from "./async-iterator-handler.js";
export { AsyncIteratorCallbackHandler } from "./async-iterator-handler.js";
export type {
  CompletionChainInput,
  CompletionChainOptions,
  CompletionModel,
} from "./chain-options.js";
export { createCompletionChain } from "./chain.js";
export { completion } from "./completion.js";
export type {
  CompletionErrorCode,
  CompletionErrorIssue,
  CompletionErrorOptions,
} from "./errors.js";
export { CompletionError, isCompletionError } from "./errors.js";
export type {
  ModelConfig,
  ModelKind,
  ModelLookupOptions,
  ModelRegistry,
  ModelSettings,
} from "./models.js";
export { buildRegisteredModel, resolveModel } from "./build-model.js";
export { defaultKind, defaultModelName } from "./models.js";
export type { CompletionOptions } from "./options.js";
export type { PromptLookupOptions } from "./prompts.js";
export { listPromptTemplates, loadPromptTemplate, parsePromptTemplate } from "./prompts.js";
