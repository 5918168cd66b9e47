import { isatty } from "node:tty";
import { parseArgs } from "node:util";
import {
  DEFAULT_MAX_TOKENS,
  DEFAULT_PROMPT_NAME,
  DEFAULT_STREAM,
  DEFAULT_TEMPERATURE,
  DEFAULT_TIMEOUT_MS,
  MAX_STDIN_QUERY_BYTES,
  TEMPERATURE_RANGE,
} from "../defaults.js";
import { isCompletionError } from "../errors.js";
import { REQUEST_FIELDS } from "../fields.js";
import type { CompletionOptions } from "../options.js";
import { CliError, usageError } from "./cli-error.js";
import { endpointFromFlags } from "./endpoint.js";
import {
  COMMON_FLAGS,
  joinNegativeNumbers,
  numberFlag,
  parseFailure,
  secondsFlag,
} from "./flags.js";
import { OFFLINE_DEMO, type OfflineDemo, startOfflineDemo } from "./offline-demo.js";
import { queryFromStdin, readStdinQuery } from "./stdin-query.js";
import { isBrokenPipe, watchStdout } from "./stdout.js";
import { packageVersion } from "./version.js";

export const COMPLETE_HELP = `Usage: completion-chain "<query>" [options]
       completion-chain - [options]          (the query from stdin)
       … | completion-chain [options]        (the query piped in)
       completion-chain serve [options]      (see completion-chain serve --help)

Streams (or prints) one completion: prompt template → model → tokens.
The query is the argument; with "-", or with none while stdin is not a terminal, it is read from
stdin (UTF-8, at most ${MAX_STDIN_QUERY_BYTES / 1024 / 1024} MiB, one trailing line break dropped).

Options:
  --stream              print tokens as they arrive
  --echo                start the output with the rendered prompt
  --model <name>        a configured model name, or provider:model (needs \`langchain\`)
  --temperature <t>     ${TEMPERATURE_RANGE.min}..${TEMPERATURE_RANGE.max} (default ${DEFAULT_TEMPERATURE})
  --max-tokens <n>      token limit; 0 or less → the model's maximum (default ${DEFAULT_MAX_TOKENS})
  --timeout <s>         seconds to wait on the model endpoint for the response, the first
                        token and each gap between tokens (default ${DEFAULT_TIMEOUT_MS / 1000})
  --prompt <name>       template in prompts/completion (default ${JSON.stringify(DEFAULT_PROMPT_NAME)})
  --template <text>     template text instead of a named one, e.g. "Q: {input}\\nA:"
  --prompts-dir <dir>   a directory overlaying the bundled prompts/ (holds completion/<name>.txt)
  --base-url <url>      OpenAI-compatible endpoint (default $OPENAI_BASE_URL)
  --kind <kind>         "completion" (/v1/completions) or "chat" (/v1/chat/completions)
  --config <file>       JSON model registry: { "models": { "<name>": { "kind", "baseURL", … } } }
  -h, --help            this text
  -V, --version         the version of completion-chain

The API key is read from $OPENAI_API_KEY (or the config file), never from the command line.
With no endpoint configured, the answers come from
${OFFLINE_DEMO}.
Model, prompt, prompts dir and config are checked before anything is sent.

Exit codes:
  0    done (also when the reader of stdout went away, as with | head)
  1    the run failed (the model endpoint failed or timed out…)
  2    usage: a bad flag or value, an unknown model or prompt, a bad config file, no query
       (or an empty one, or one over the limit on stdin)
  130  interrupted (Ctrl-C)
Errors are one line on stderr.
`;

/** The flags of the original's fields, from the one table: `--max-tokens` is `maxTokens`. */
const FIELD_FLAGS = REQUEST_FIELDS.flatMap((field) => ("flag" in field ? [field] : []));
const NUMERIC = [
  ...FIELD_FLAGS.flatMap(({ flag, wire }) => (wire === "int" || wire === "float" ? [flag] : [])),
  "timeout",
];

const FLAGS = {
  ...COMMON_FLAGS,
  stream: { type: "boolean" },
  echo: { type: "boolean" },
  temperature: { type: "string" },
  "max-tokens": { type: "string" },
  template: { type: "string" },
} as const;

function parse(argv: string[]) {
  return parseArgs({
    args: joinNegativeNumbers(argv, NUMERIC),
    allowPositionals: true,
    options: FLAGS,
  });
}

/** The flags of `completion-chain "<query>"`, as `parseArgs` returns them. */
export type CompleteFlags = ReturnType<typeof parse>["values"];

/**
 * Maps the flags to `completion()` options (all but `models` and `signal`), checking what the flags
 * themselves decide (one query, numbers, seconds); {@link checkCompletionOptions} checks the rest.
 *
 * @param values - the parsed flags
 * @param positionals - the query, alone
 * @throws CliError (exit 2) naming the flag or option
 * @example
 * ```ts
 * completionOptionsFromFlags({ timeout: "1.5" }, ["hi"]); // { query: "hi", timeout: 1500, … }
 * ```
 */
export function completionOptionsFromFlags(
  values: CompleteFlags,
  positionals: string[],
): CompletionOptions & { stream: boolean } {
  if (positionals.length !== 1)
    usageError(
      'expected exactly one query, e.g. completion-chain "hello" --stream (or - to read it from stdin)',
    );
  if (values.prompt !== undefined && values.template !== undefined)
    usageError("--prompt and --template both choose the template; give one");
  const fields: Record<string, unknown> = {};
  for (const { flag, option, wire } of FIELD_FLAGS) {
    const value = values[flag];
    fields[option] =
      wire === "int" || wire === "float"
        ? numberFlag(value as string | undefined, `--${flag}`)
        : value;
  }
  const options: CompletionOptions & { stream: boolean } = {
    query: positionals[0] as string,
    ...fields,
    stream: values.stream ?? DEFAULT_STREAM,
    timeout: secondsFlag(values.timeout, "--timeout"),
    prompt: values.template?.replaceAll("\\n", "\n"),
    promptsDir: values["prompts-dir"],
  };
  for (const key of Object.keys(options) as (keyof typeof options)[]) {
    if (options[key] === undefined) delete options[key];
  }
  return options;
}

/**
 * Validates `options` as `completion()` will (ranges, names), so that a bad value is a usage error
 * before anything starts.
 *
 * @throws CliError (exit 2) naming the option
 */
async function checkCompletionOptions(options: CompletionOptions): Promise<void> {
  const { parseCompletionOptions } = await import("../parse-options.js");
  try {
    parseCompletionOptions(options);
  } catch (error) {
    if (isCompletionError(error)) usageError(`${error.message} (${error.code})`);
    throw error;
  }
}

/** `completion-chain "<query>"`: one completion to stdout. */
export async function complete(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    parseFailure(error, Object.keys(FLAGS), "--help", true);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(COMPLETE_HELP);
    return;
  }
  if (values.version) {
    process.stdout.write(`${await packageVersion()}\n`);
    return;
  }
  // Everything is checked before anything starts: a bad flag never spins up the demo model, nor
  // waits on stdin.
  // isatty, not process.stdin.isTTY: a run with its query as an argument leaves stdin untouched.
  const fromStdin = queryFromStdin(positionals, isatty(0));
  const options = completionOptionsFromFlags(values, fromStdin ? ["-"] : positionals);
  // The library is loaded step by step, as far as the checks need it: `--help`, `--version` and a
  // mistyped flag answer without LangChain and the openai SDK (~0.6 s of CPU to load), an option
  // out of range with only the options' schema.
  await checkCompletionOptions(options);
  if (fromStdin) options.query = await readStdinQuery(process.stdin);
  const endpoint = await endpointFromFlags(values);
  const { checkModel, checkPrompt, checkPromptsDir, checkTemplate } = await import(
    "./startup-checks.js"
  );
  checkModel(values.model, endpoint);
  await checkPromptsDir(values["prompts-dir"]);
  if (options.prompt === undefined)
    await checkPrompt(values.prompt ?? DEFAULT_PROMPT_NAME, values["prompts-dir"]);
  else await checkTemplate(options.prompt as string);

  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const stdoutClosed = watchStdout();
  const write = (text: string) => {
    if (!stdoutClosed.aborted) process.stdout.write(text);
  };
  let demo: OfflineDemo | undefined;
  try {
    const { completion } = await import("../completion.js");
    if (endpoint.demo !== undefined) demo = await startOfflineDemo(endpoint.demo);
    const models = demo?.models ?? endpoint.models;
    const run = {
      ...options,
      ...(models === undefined ? {} : { models }),
      signal: AbortSignal.any([interrupted.signal, stdoutClosed]),
    };
    if (run.stream) {
      for await (const token of completion({ ...run, stream: true })) write(token);
      write("\n");
    } else {
      write(`${await completion({ ...run, stream: false })}\n`);
    }
  } catch (error) {
    if (stdoutClosed.aborted) {
      // The reader has all it wanted (… | head): stopping is no failure.
      if (isBrokenPipe(stdoutClosed.reason)) return;
      throw new CliError(`cannot write to stdout: ${(stdoutClosed.reason as Error).message}`, 1);
    }
    if (isCompletionError(error) && error.code === "aborted") {
      write("\n");
      throw new CliError("aborted", 130);
    }
    if (!isCompletionError(error)) throw error;
    throw new CliError(
      `${error.message} (${error.code})`,
      error.code === "invalid_options" ? 2 : 1,
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await demo?.close();
  }
}
