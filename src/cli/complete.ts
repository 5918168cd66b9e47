import { parseArgs } from "node:util";
import { completion } from "../completion.js";
import { isCompletionError } from "../errors.js";
import { parseCompletionOptions } from "../options.js";
import { fail, numberFlag, registryFromFlags } from "./shared.js";

export const COMPLETE_HELP = `Usage: completion-chain "<query>" [options]
       completion-chain serve [options]      (see completion-chain serve --help)

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

/** `completion-chain "<query>"`: one completion to stdout. */
export async function complete(argv: string[]): Promise<void> {
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
    process.stdout.write(COMPLETE_HELP);
    return;
  }
  if (positionals.length !== 1)
    fail('expected exactly one query, e.g. completion-chain "hello" --stream', 2);

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
  const { models, demo } = await registryFromFlags(values);
  try {
    const withModels = models === undefined ? options : { ...options, models };
    if (values.stream) {
      for await (const token of completion({ ...withModels, stream: true }))
        process.stdout.write(token);
      process.stdout.write("\n");
    } else {
      process.stdout.write(`${await completion({ ...withModels, stream: false })}\n`);
    }
  } catch (error) {
    if (isCompletionError(error) && error.code === "aborted") {
      process.stdout.write("\n");
      fail("aborted", 130);
    }
    const code = isCompletionError(error) && error.code === "invalid_options" ? 2 : 1;
    fail(isCompletionError(error) ? `${error.message} (${error.code})` : String(error), code);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await demo?.close();
  }
}
