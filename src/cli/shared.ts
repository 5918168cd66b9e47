import { readFile } from "node:fs/promises";
import type { ModelRegistry } from "../models.js";
import { modelRegistrySchema } from "../options.js";
import { startOpenAICompatibleServer, type TestingServer } from "../testing/index.js";

/** Prints one line to stderr and exits. */
export function fail(message: string, code: number): never {
  process.stderr.write(`completion-chain: ${message}\n`);
  process.exit(code);
}

/** Reads a JSON model registry: `{ "models": { … } }` or the registry object itself. */
export async function loadRegistry(path: string): Promise<ModelRegistry> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    fail(`cannot read --config ${path}: ${(error as Error).message}`, 2);
  }
  const models = (raw as { models?: unknown })?.models ?? raw;
  const parsed = modelRegistrySchema.safeParse(models);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(`--config ${path}: models.${issue?.path.join(".")} ${issue?.message}`, 2);
  }
  return parsed.data;
}

const OFFLINE_NOTE = `completion-chain: no model endpoint configured — answering with the built-in offline demo model (it echoes the prompt back).
  Point it at a real one: --base-url http://127.0.0.1:8000/v1 --model <name>   (vLLM, FastChat, llama.cpp)
                      or: --base-url http://127.0.0.1:11434/v1 --model qwen2.5 --kind chat   (Ollama)
                      or: OPENAI_API_KEY=… completion-chain … --model gpt-4o-mini   (OpenAI)
`;

/** The endpoint flags every command shares. */
export interface EndpointFlags {
  config?: string | undefined;
  "base-url"?: string | undefined;
  kind?: string | undefined;
  model?: string | undefined;
}

/**
 * The registry the flags describe; with no endpoint configured anywhere, the offline demo model
 * (the testing server in-process, echoing the prompt word by word) and a note on stderr.
 */
export async function registryFromFlags(
  flags: EndpointFlags,
): Promise<{ models: ModelRegistry | undefined; demo: TestingServer | undefined }> {
  const kind = flags.kind;
  if (kind !== undefined && kind !== "completion" && kind !== "chat") {
    fail(`--kind must be "completion" or "chat", got "${kind}"`, 2);
  }
  let models = flags.config ? await loadRegistry(flags.config) : undefined;
  const baseURL = flags["base-url"];
  if (baseURL !== undefined || kind !== undefined) {
    const name =
      flags.model ?? (models ? Object.keys(models)[0] : undefined) ?? process.env.OPENAI_MODEL;
    if (name === undefined) fail("--base-url needs --model <name>", 2);
    models = {
      ...models,
      [name]: { ...models?.[name], ...(baseURL ? { baseURL } : {}), ...(kind ? { kind } : {}) },
    };
    return { models, demo: undefined };
  }
  if (
    models ||
    process.env.OPENAI_BASE_URL ||
    process.env.OPENAI_API_KEY ||
    flags.model?.includes(":")
  ) {
    return { models, demo: undefined };
  }
  const demo = await startOpenAICompatibleServer({ delayMs: 40 });
  process.stderr.write(OFFLINE_NOTE);
  return {
    models: {
      [flags.model ?? "offline-demo"]: {
        kind: "completion",
        baseURL: demo.url,
        apiKey: "offline-demo",
      },
    },
    demo,
  };
}

/** Parses a numeric flag, failing with a line naming it. */
export function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number))
    fail(`${flag} must be a number, got "${value}"`, 2);
  return number;
}
