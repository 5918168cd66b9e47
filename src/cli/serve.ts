import { parseArgs } from "node:util";
import { serveCompletion } from "../http/serve.js";
import { fail, numberFlag, registryFromFlags } from "./shared.js";

const SERVE_HELP = `Usage: completion-chain serve [options]

Serves POST /other/completion, wire-compatible with Langchain-Chatchat, and GET /health.

Options:
  --host <host>            interface to bind (default 127.0.0.1: this machine only)
  --port <port>            port (default 7861)
  --model <name>           default model (else the first configured one)
  --base-url <url>         OpenAI-compatible endpoint (default $OPENAI_BASE_URL)
  --kind <kind>            "completion" or "chat"
  --config <file>          JSON model registry: { "models": { "<name>": { "kind", "baseURL", … } } }
  --prompts-dir <dir>      a directory overlaying the bundled prompts/
  --ping-interval <s>      seconds between SSE ping comments (default 15)
  --cors <origin>          allow this origin (repeatable; "*" for any)
  -h, --help               this text

One line per request goes to stderr. SIGINT/SIGTERM end the streams in flight and stop the server.
`;

/** `completion-chain serve`: the HTTP endpoint on Node. */
export async function serve(argv: string[]): Promise<void> {
  let values: ReturnType<typeof parse>["values"];
  function parse() {
    return parseArgs({
      args: argv,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        model: { type: "string" },
        "base-url": { type: "string" },
        kind: { type: "string" },
        config: { type: "string" },
        "prompts-dir": { type: "string" },
        "ping-interval": { type: "string" },
        cors: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    });
  }
  try {
    values = parse().values;
  } catch (error) {
    fail(`${(error as Error).message} (see serve --help)`, 2);
  }
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  const port = numberFlag(values.port, "--port") ?? 7861;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    fail(`--port must be 0..65535, got ${port}`, 2);
  const pingSeconds = numberFlag(values["ping-interval"], "--ping-interval") ?? 15;
  if (pingSeconds <= 0) fail(`--ping-interval must be positive, got ${pingSeconds}`, 2);

  const { models, demo } = await registryFromFlags(values);
  const cors = values.cors?.includes("*") ? "*" : values.cors;
  const server = await serveCompletion({
    host: values.host ?? "127.0.0.1",
    port,
    pingIntervalMs: pingSeconds * 1000,
    ...(models === undefined ? {} : { models }),
    ...(values.model === undefined ? {} : { defaults: { model_name: values.model } }),
    ...(values["prompts-dir"] === undefined ? {} : { promptsDir: values["prompts-dir"] }),
    ...(cors === undefined ? {} : { corsOrigins: cors }),
  }).catch((error: unknown) => fail(`cannot listen: ${(error as Error).message}`, 1));
  process.stderr.write(`completion-chain: serving POST ${server.url}/other/completion\n`);
  const stop = async () => {
    process.stderr.write("completion-chain: shutting down\n");
    await server.close();
    await demo?.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
