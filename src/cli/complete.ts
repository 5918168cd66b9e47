import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { completion } from "./completion.js";
import { CompletionError, isCompletionError } from "./errors.js";
import type { ModelRegistry } from "./models.js";
import { modelRegistrySchema, parseCompletionOptions } from "./options.js";
import { startOpenAICompatibleServer, type TestingServer } from "./testing/index.js";

const HELP = `Usage: completion-chain "<query>" [options]

Streams (or prints) one completion: prompt template → model → tokens.

Options:
  --stream              print tokens as they arrive
  --echo                start the output with the rendered prompt
  --model <name>        a configured model name, or provider:model (needs \`langchain\`)
  --temperature <t>     0..1 (default 0.7)
  --max-tokens <n>      token limit; 0 or less → the model's maximum (default 1024)
  --prompt <name>       template in prompts/completion (default "default")
  --template <text>     template text instead of a named one, e.g. "Q: {input}\\nA:"
  --prompts-dir <dir>   a directory overlaying the bundled prompts/
  --base-url <url>      OpenAI-compatible endpoint (default $OPENAI_BASE_URL)
  --kind <kind>         "completion" (/v1/completions) or "chat" (/v1/chat/completions)
  --config <file>       JSON model registry: { "models": { "<name>": { "kind", "baseURL", … } } }
  -h, --help            this text

The API key is read from $OPENAI_API_KEY (or the config file), never from the command line.
With no endpoint configured, a built-in offline demo model answers (it echoes the prompt).
`;

const OFFLINE_NOTE = `completion-chain: no model endpoint configured — answering with the built-in offline demo model (it echoes the prompt back).
  Point it at a real one: --base-url http://127.0.0.1:8000/v1 --model <name>   (vLLM, FastChat, llama.cpp)
                      or: --base-url http://127.0.0.1:11434/v1 --model qwen2.5 --kind chat   (Ollama)
                      or: OPENAI_API_KEY=… completion-chain "…" --model gpt-4o-mini   (OpenAI)
`;

function fail(message: string, code: number): never {
  process.stderr.write(`completion-chain: ${message}\n`);
  process.exit(code);
}

async function loadRegistry(path: string): Promise<ModelRegistry> {
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

function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number))
    fail(`${flag} must be a number, got "${value}"`, 2);
  return number;
}

async function main(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stream: { type: "boolean" },
        echo: { type: "boolean" },
        model: { type: "string" },
        temperature: { type: "string" },
        "max-tokens": { type: "string" },
        prompt: { type: "string" },
        template: { type: "string" },
        "prompts-dir": { type: "string" },
        "base-url": { type: "string" },
        kind: { type: "string" },
        config: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  }
  try {
    parsed = parse();
  } catch (error) {
    fail(`${(error as Error).message} (see --help)`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals[0] === "serve") fail("`serve` is not available in this version yet", 2);
  if (positionals.length !== 1)
    fail('expected exactly one query, e.g. completion-chain "hello" --stream', 2);
  const kind = values.kind;
  if (kind !== undefined && kind !== "completion" && kind !== "chat") {
    fail(`--kind must be "completion" or "chat", got "${kind}"`, 2);
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const options = {
    query: positionals[0] as string,
    echo: values.echo ?? false,
    model: values.model,
    temperature: numberFlag(values.temperature, "--temperature"),
    maxTokens: numberFlag(values["max-tokens"], "--max-tokens"),
    promptName: values.prompt,
    prompt: values.template?.replaceAll("\\n", "\n"),
    promptsDir: values["prompts-dir"],
    models: undefined as ModelRegistry | undefined,
    signal: controller.signal,
  };
  for (const key of Object.keys(options) as (keyof typeof options)[]) {
    if (options[key] === undefined) delete options[key];
  }
  // Validate before starting anything, so a bad flag never spins up the demo model.
  try {
    parseCompletionOptions({ ...options, stream: values.stream ?? false });
  } catch (error) {
    fail(isCompletionError(error) ? `${error.message} (${error.code})` : String(error), 2);
  }
  let models: ModelRegistry | undefined = values.config
    ? await loadRegistry(values.config)
    : undefined;
  let demo: TestingServer | undefined;
  const baseURL = values["base-url"];
  if (baseURL !== undefined || kind !== undefined) {
    const name =
      values.model ?? (models ? Object.keys(models)[0] : undefined) ?? process.env.OPENAI_MODEL;
    if (name === undefined) fail("--base-url needs --model <name>", 2);
    models = {
      ...models,
      [name]: { ...models?.[name], ...(baseURL ? { baseURL } : {}), ...(kind ? { kind } : {}) },
    };
  } else if (
    !models &&
    !process.env.OPENAI_BASE_URL &&
    !process.env.OPENAI_API_KEY &&
    !values.model?.includes(":")
  ) {
    demo = await startOpenAICompatibleServer({ delayMs: 40 });
    process.stderr.write(OFFLINE_NOTE);
    models = {
      [values.model ?? "offline-demo"]: {
        kind: "completion",
        baseURL: demo.url,
        apiKey: "offline-demo",
      },
    };
  }

  if (models !== undefined) options.models = models;
  try {
    if (values.stream) {
      for await (const token of completion({ ...options, stream: true }))
        process.stdout.write(token);
      process.stdout.write("\n");
    } else {
      process.stdout.write(`${await completion({ ...options, stream: false })}\n`);
    }
  } catch (error) {
    if (isCompletionError(error) && error.code === "aborted") {
      process.stdout.write("\n");
      fail("aborted", 130);
    }
    const code = isCompletionError(error) && error.code === "invalid_options" ? 2 : 1;
    const message =
      error instanceof CompletionError || isCompletionError(error)
        ? `${error.message} (${error.code})`
        : String(error);
    fail(message, code);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await demo?.close();
  }
}

await main(process.argv.slice(2));
