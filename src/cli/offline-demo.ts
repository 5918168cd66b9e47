import type { ModelKind, ModelRegistry } from "../models.js";
import { startOpenAICompatibleServer } from "../testing/index.js";

/** The name of the built-in offline demo model, the only model there is with no endpoint configured. */
export const OFFLINE_DEMO_MODEL = "offline-demo";

/** The demo model as every message names it: what it is and that it echoes the prompt. */
export const OFFLINE_DEMO = `the built-in offline demo model "${OFFLINE_DEMO_MODEL}" (it echoes the prompt back)`;

const OFFLINE_NOTE = `completion-chain: no model endpoint configured — answering with ${OFFLINE_DEMO}.
  Point it at a real one: --base-url http://127.0.0.1:8000/v1 --model <name>   (vLLM, FastChat, llama.cpp)
                      or: --base-url http://127.0.0.1:11434/v1 --model qwen2.5 --kind chat   (Ollama)
                      or: OPENAI_API_KEY=… completion-chain … --model gpt-4o-mini   (OpenAI)
`;

/** A running offline demo model. */
export interface OfflineDemo {
  /** One entry, {@link OFFLINE_DEMO_MODEL}, served on loopback. */
  models: ModelRegistry;
  close(): Promise<void>;
}

/**
 * Starts the offline demo model — the testing server in-process, echoing the prompt word by word —
 * and says so on stderr, with how to configure a real endpoint.
 *
 * @param kind - which endpoint the demo model is served on (`--kind`)
 * @example
 * ```ts
 * const demo = await startOfflineDemo("completion");
 * try { … } finally { await demo.close(); }
 * ```
 */
export async function startOfflineDemo(kind: ModelKind): Promise<OfflineDemo> {
  const server = await startOpenAICompatibleServer({ delayMs: 40 });
  process.stderr.write(OFFLINE_NOTE);
  return {
    models: {
      [OFFLINE_DEMO_MODEL]: { kind, baseURL: server.url, apiKey: OFFLINE_DEMO_MODEL },
    },
    close: () => server.close(),
  };
}
