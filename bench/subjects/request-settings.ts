/**
 * What every benchmark request asks for — the model ids, completion()'s defaults, the registry —
 * in a module that loads nothing else, so that an endpoint's own process (`--fresh`) holds only
 * that endpoint's code.
 *
 * @packageDocumentation
 */

import type { ModelRegistry } from "../../src/index.js";

export type Kind = "completion" | "chat";
export const KINDS: readonly Kind[] = ["completion", "chat"];

/** Model id sent upstream and registry name, per kind. */
export const MODEL_ID: Record<Kind, string> = {
  completion: "bench-completion",
  chat: "bench-chat",
};

/** completion()'s defaults, sent by every variant (and the floor endpoint) so the request bodies match. */
export const TEMPERATURE = 0.7;
export const MAX_TOKENS = 1024;

/** The registry completion() and the endpoint use: both kinds on the upstream, no retries. */
export function benchRegistry(upstreamURL: string): ModelRegistry {
  const entry = { baseURL: upstreamURL, apiKey: "EMPTY", maxRetries: 0 };
  return {
    [MODEL_ID.completion]: { kind: "completion", ...entry },
    [MODEL_ID.chat]: { kind: "chat", ...entry },
  };
}
