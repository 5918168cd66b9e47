/**
 * `completion-chain/http`: the Chatchat-compatible `POST /other/completion` endpoint as a
 * web-standard handler `(Request) => Promise<Response>`. It loads nothing from `node:*`, so it runs
 * on any runtime with `fetch`'s `Request`/`Response`; the Node server is `completion-chain/http/node`.
 *
 * @packageDocumentation
 */

export type { CompletionHandlerOptions, RequestLogEntry } from "./handler.js";
export { createCompletionHandler } from "./handler.js";
export { formatLogLine } from "./log.js";
export type { SseFormat } from "./sse.js";
export { encodeEvent, pingComment } from "./sse.js";
export type { BodyParseResult, CompletionBody, ValidationIssue } from "./validation.js";
export { parseCompletionBody } from "./validation.js";
