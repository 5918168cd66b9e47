/**
 * The keys a LangChain model holds, for redaction (`redact` in `secrets.ts`): apart from that file
 * so that redacting text (the CLI's flag and config-file checks do) does not load LangChain.
 *
 * @packageDocumentation
 */

import { processEnv } from "./environment.js";
import { unwrapModels } from "./run/langchain-private.js";
import { collectKeys } from "./secrets.js";

const cache = new WeakMap<object, readonly string[]>();

/**
 * Every key a model holds — in its own fields (`apiKey`, `openAIApiKey`…), its SDK client's and its
 * client configuration's, for each model inside a wrapper (`.withRetry()`, `.withFallbacks()`,
 * `initChatModel`) — plus `OPENAI_API_KEY` from the environment. Cached per model instance.
 *
 * @param model - a LangChain model or a runnable wrapping models
 * @example
 * ```ts
 * const secrets = secretsOf(new ChatOpenAI({ apiKey: "sk-…" }));
 * ```
 */
export function secretsOf(model: unknown): readonly string[] {
  let found: readonly string[] | undefined =
    typeof model === "object" && model !== null ? cache.get(model) : undefined;
  if (found === undefined) {
    const keys = new Set<string>();
    for (const inner of unwrapModels(model)) {
      const record = inner as Record<string, unknown>;
      for (const holder of [record, record.clientConfig, record.client, record.fields]) {
        collectKeys(holder, keys);
      }
    }
    found = [...keys];
    if (typeof model === "object" && model !== null) cache.set(model, found);
  }
  const fromEnv = processEnv().OPENAI_API_KEY;
  return fromEnv && !found.includes(fromEnv) ? [...found, fromEnv] : found;
}
