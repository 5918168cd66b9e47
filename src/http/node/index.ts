/**
 * `completion-chain/http/node`: the completion endpoint as a Node HTTP server (what
 * `completion-chain serve` runs). Kept apart from `completion-chain/http`, whose handler loads on
 * any runtime with web-standard `Request`/`Response`, so that importing the handler never loads
 * `node:http` or `@hono/node-server`.
 *
 * @packageDocumentation
 */

export type { CompletionMetrics, CompletionMetricsOptions } from "./metrics.js";
export { createCompletionMetrics } from "./metrics.js";
export type { LogFormat } from "./request-logger.js";
export type { CompletionServer, ServeOptions } from "./serve.js";
export { serveCompletion } from "./serve.js";
