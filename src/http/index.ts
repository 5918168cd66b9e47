/**
 * `completion-chain/http`: the Chatchat-compatible `POST /other/completion` endpoint, as a
 * web-standard handler and a Node server.
 *
 * @packageDocumentation
 */

export type { CompletionHandlerOptions, RequestLogEntry } from "./handler.js";
export { createCompletionHandler } from "./handler.js";
export type { CompletionServer, ServeOptions } from "./serve.js";
export { formatLogLine, serveCompletion } from "./serve.js";
export type { SseFormat } from "./sse.js";
export { encodeEvent, pingComment } from "./sse.js";
export type { BodyParseResult, CompletionBody, ValidationIssue } from "./validation.js";
export { parseCompletionBody } from "./validation.js";
