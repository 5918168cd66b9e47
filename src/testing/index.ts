/**
 * `completion-chain/testing`: a loopback OpenAI-compatible server for tests and offline demos.
 *
 * @packageDocumentation
 */

export { startOpenAICompatibleServer } from "./server.js";
export type { RecordedRequest, TestingScript, TestingServerOptions } from "./script.js";
export type { TestingServer } from "./server.js";
