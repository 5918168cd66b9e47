/**
 * `completion-chain/testing`: a loopback OpenAI-compatible server for tests and offline demos.
 *
 * @packageDocumentation
 */

export { startOpenAICompatibleServer } from "./server.js";
export type {
  RecordedRequest,
  TestingScript,
  TestingServer,
  TestingServerOptions,
} from "./server.js";
