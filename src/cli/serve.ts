import { parseArgs } from "node:util";
import {
  CLIENT_TIMEOUT_MS,
  DEFAULT_PROMPT_NAME,
  GRACE_MS,
  LOG_CONTENT_MAX_CHARS,
  MAX_WORKERS,
  PING_INTERVAL_MS,
  SERVE_HOST,
  SERVE_PORT,
  SERVE_TIMEOUT_MS,
} from "../defaults.js";
import { fieldOfFlag } from "../fields.js";
import type { BodyDefaults } from "../http/validation.js";
import type { CompletionServer, ServeOptions } from "../http/node/serve.js";
import { API_KEY_ENV, exposureWarning, serverApiKeys, withoutKeys } from "./api-keys.js";
import { CliError, usageError } from "./cli-error.js";
import { endpointFromFlags } from "./endpoint.js";
import {
  COMMON_FLAGS,
  joinNegativeNumbers,
  numberFlag,
  parseFailure,
  secondsFlag,
  workersFlag,
} from "./flags.js";
import { LOG_FLAGS, logOptionsFromFlags } from "./log-flags.js";
import { startOfflineDemo } from "./offline-demo.js";
import { packageVersion } from "./version.js";

const seconds = (ms: number) => ms / 1000;

export const SERVE_HELP = `Usage: completion-chain serve [options]

Serves POST /other/completion, wire-compatible with Langchain-Chatchat; GET /health; GET /models
and GET /prompts (the names a request may give); GET /metrics (Prometheus text format: requests,
streams in flight, time to first token, tokens); and GET /, a playground page to try it in a browser.

Options:
  --host <host>            interface to bind (default ${SERVE_HOST}: this machine only)
  --port <port>            port (default ${SERVE_PORT})
  --model <name>           default model (else the first configured one)
  --prompt <name>          default template in prompts/completion, for requests that name none
                           (default ${JSON.stringify(DEFAULT_PROMPT_NAME)})
  --base-url <url>         OpenAI-compatible endpoint (default $OPENAI_BASE_URL)
  --kind <kind>            "completion" or "chat"
  --config <file>          JSON model registry: { "models": { "<name>": { "kind", "baseURL", … } } }
  --prompts-dir <dir>      a directory overlaying the bundled prompts/ (holds completion/<name>.txt)
  --timeout <s>            seconds a request may wait on the model endpoint for the response, the
                           first token and each gap between tokens (default ${seconds(SERVE_TIMEOUT_MS)})
  --client-timeout <s>     seconds a client may accept no bytes before it is dropped (default ${seconds(CLIENT_TIMEOUT_MS)})
  --grace <s>              seconds the streams in flight get to finish on shutdown (default ${seconds(GRACE_MS)})
  --ping-interval <s>      seconds between SSE ping comments (default ${seconds(PING_INTERVAL_MS)})
  --cors <origin>          allow this origin (repeatable; "*" for any)
  --api-key <key>          require "Authorization: Bearer <key>" on every route but /health
                           (repeatable: any of the keys is accepted). Other users of this machine
                           can read it in \`ps\`: prefer $${API_KEY_ENV} or --api-key-file
  --api-key-file <file>    require the keys in this file, one per line (# starts a comment)
  --log-format <format>    "json" (one JSON object a line) or "pretty" (one line for people);
                           default: pretty when stdout is a terminal, else json
  --log-content            also log each request's query, prompt and model names and answer (each
                           cut at ${LOG_CONTENT_MAX_CHARS} characters); without it nothing of them is logged
  --no-playground          do not serve the playground page at GET /
  --no-metrics             no GET /metrics (it answers 404)
  --workers <n|auto>       processes serving the one port (Node's cluster; "auto": one per core,
                           up to ${MAX_WORKERS}); a worker that exits is replaced, and /metrics sums them
                           all (default 1: one process)
  -h, --help               this text
  -V, --version            the version of completion-chain

Keys: $${API_KEY_ENV} holds one or more, comma-separated; --api-key and --api-key-file
(together) replace it. Without a key anyone who can reach the port can use the model; a --host
other than 127.0.0.1, ::1 or localhost without one prints a warning. Keys are never printed.

Durations are in seconds and may have decimals. Model, prompt, prompts dir and config are checked
at startup. The log goes to stdout: one line per request (time, request id, method, path, status,
duration, tokens, time to first token, error code or disconnect reason), and the start and drain
messages. SIGINT/SIGTERM: stop accepting connections, give the streams in flight --grace seconds,
then stop; a second signal stops at once. With --workers the primary does this for every worker,
and the workers ignore the terminal's own SIGINT.

Exit codes:
  0    stopped by SIGINT/SIGTERM after draining
  1    failed (the port is taken…), or stopped at once by a second signal
  2    usage: a bad flag or value, an unknown model or prompt, a bad config file
Errors are one line on stderr.
`;

const NUMERIC = ["port", "ping-interval", "timeout", "client-timeout", "grace"];

const FLAGS = {
  ...COMMON_FLAGS,
  host: { type: "string" },
  port: { type: "string" },
  "client-timeout": { type: "string" },
  grace: { type: "string" },
  "ping-interval": { type: "string" },
  cors: { type: "string", multiple: true },
  "api-key": { type: "string", multiple: true },
  "api-key-file": { type: "string", multiple: true },
  "no-playground": { type: "boolean" },
  "no-metrics": { type: "boolean" },
  workers: { type: "string" },
  ...LOG_FLAGS,
} as const;

function parse(argv: string[]) {
  return parseArgs({ args: joinNegativeNumbers(argv, NUMERIC), options: FLAGS });
}

/** The flags of `completion-chain serve`, as `parseArgs` returns them. */
export type ServeFlags = ReturnType<typeof parse>["values"];

/**
 * Maps the flags to `serveCompletion()` options (all but `models`), validated, with the CLI's
 * defaults written out so that `--help` and the behaviour cannot drift apart.
 *
 * @param values - the parsed flags
 * @throws CliError (exit 2) naming the flag
 * @example
 * ```ts
 * serveOptionsFromFlags({ grace: "2.5" }).graceMs; // 2500
 * ```
 */
export function serveOptionsFromFlags(values: ServeFlags): Omit<ServeOptions, "models"> {
  const port = numberFlag(values.port, "--port") ?? SERVE_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    usageError(`--port must be an integer 0..65535, got ${JSON.stringify(values.port)}`);
  const cors = values.cors?.includes("*") ? "*" : values.cors;
  // What --model and --prompt name for requests whose body leaves model_name, prompt_name out.
  const defaults: Record<string, string> = {};
  for (const flag of ["model", "prompt"] as const) {
    const value = values[flag];
    const key = fieldOfFlag(flag)?.body;
    if (value !== undefined && key !== undefined) defaults[key] = value;
  }
  return {
    host: values.host ?? SERVE_HOST,
    port,
    pingIntervalMs: secondsFlag(values["ping-interval"], "--ping-interval") ?? PING_INTERVAL_MS,
    timeoutMs: secondsFlag(values.timeout, "--timeout") ?? SERVE_TIMEOUT_MS,
    clientTimeoutMs: secondsFlag(values["client-timeout"], "--client-timeout") ?? CLIENT_TIMEOUT_MS,
    graceMs: secondsFlag(values.grace, "--grace") ?? GRACE_MS,
    ...(Object.keys(defaults).length === 0 ? {} : { defaults: defaults as BodyDefaults }),
    ...(values["prompts-dir"] === undefined ? {} : { promptsDir: values["prompts-dir"] }),
    ...(cors === undefined ? {} : { corsOrigins: cors }),
    ...logOptionsFromFlags(values),
    ...(values["no-playground"] ? { playground: false } : {}),
    ...(values["no-metrics"] === true ? { metrics: false } : {}),
  };
}

/** `completion-chain serve`: the HTTP endpoint on Node. */
export async function serve(argv: string[]): Promise<void> {
  let values: ServeFlags;
  try {
    values = parse(argv).values;
  } catch (error) {
    // A key whose flag was forgotten is quoted as an "unexpected argument": never echo it.
    const message = withoutKeys((error as Error).message, argv);
    const code = (error as { code?: unknown }).code;
    parseFailure(Object.assign(new Error(message), { code }), Object.keys(FLAGS), "serve --help");
  }
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  if (values.version) {
    process.stdout.write(`${await packageVersion()}\n`);
    return;
  }
  const options = serveOptionsFromFlags(values);
  const workers = workersFlag(values.workers);
  const apiKeys = await serverApiKeys(values);
  const endpoint = await endpointFromFlags(values);
  // With --workers N this process is the cluster's primary, or one of its workers (cluster-worker.ts).
  const worker = workers > 1 ? (await import("./cluster-worker.js")).joinCluster() : undefined;
  if (worker === undefined) {
    // Loaded only now, as the server below: `--help`, `--version` and a mistyped flag answer
    // without LangChain (see complete.ts), and a --workers primary never loads the server.
    const { checkModel, checkPrompt, checkPromptsDir } = await import("./startup-checks.js");
    checkModel(values.model, endpoint);
    await checkPromptsDir(values["prompts-dir"]);
    await checkPrompt(values.prompt ?? DEFAULT_PROMPT_NAME, values["prompts-dir"]);
  }
  if (workers > 1 && worker === undefined) {
    const { runPrimary } = await import("./cluster.js");
    const { logFormat, graceMs = GRACE_MS, playground = true } = options;
    return runPrimary({ workers, demo: endpoint.demo, logFormat, graceMs, apiKeys, playground });
  }

  const demo =
    endpoint.demo === undefined || worker !== undefined
      ? undefined
      : await startOfflineDemo(endpoint.demo);
  const models = worker?.demoModels(endpoint.demo) ?? demo?.models ?? endpoint.models;
  const [{ createServerLog }, { serveWithLog }] = await Promise.all([
    import("../http/node/request-logger.js"),
    import("../http/node/serve.js"),
  ]);
  // One log for the requests and the messages below, in one format, on stdout.
  const log = createServerLog({ logFormat: options.logFormat });
  let server: CompletionServer;
  try {
    server = await serveWithLog(
      {
        ...options,
        ...(apiKeys.length === 0 ? {} : { apiKeys }),
        ...(models === undefined ? {} : { models }),
      },
      log,
      worker?.hooks,
    );
  } catch (error) {
    await demo?.close();
    throw new CliError(
      `cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`,
      1,
    );
  }
  if (worker !== undefined) return worker.run(server);
  const warning = exposureWarning(server.url, apiKeys);
  if (warning !== undefined) process.stderr.write(`${warning}\n`);
  log.note("info", `serving POST ${server.url}/other/completion`, { url: server.url });
  if (options.playground !== false) {
    log.note("info", `playground at ${server.url}/`, { url: `${server.url}/` });
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.note("warn", `${signal} again, stopping at once`, { signal });
      process.exit(1);
    }
    stopping = true;
    const graceMs = options.graceMs ?? 0;
    log.note(
      "info",
      `${signal} received, draining: no new connections; the streams in flight get ${graceMs / 1000} s (--grace) to finish; ${signal} again stops at once`,
      { signal, graceMs },
    );
    server
      .close()
      .then(() => demo?.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.note("error", `shutdown failed: ${(error as Error).message}`);
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
