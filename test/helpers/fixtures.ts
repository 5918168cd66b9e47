import { afterEach } from "vitest";
import {
  type CompletionError,
  type CompletionOptions,
  completion,
  isCompletionError,
  type ModelRegistry,
} from "../../src/index.js";
import {
  startOpenAICompatibleServer,
  type TestingServer,
  type TestingServerOptions,
} from "../../src/testing/index.js";

const servers: TestingServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A loopback upstream, closed after the test. */
export async function upstream(options: TestingServerOptions = {}): Promise<TestingServer> {
  const server = await startOpenAICompatibleServer(options);
  servers.push(server);
  return server;
}

/** A registry with a completions model and a chat model on `server`, no retries. */
export function registry(server: TestingServer, apiKey = "test-key"): ModelRegistry {
  return {
    "test-completion": { kind: "completion", baseURL: server.url, apiKey, maxRetries: 0 },
    "test-chat": { kind: "chat", baseURL: server.url, apiKey, maxRetries: 0 },
  };
}

export async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const tokens: string[] = [];
  for await (const token of iterable) tokens.push(token);
  return tokens;
}

/** Runs `run` and returns the CompletionError it threw, plus the tokens it collected first. */
export async function failure(
  run: (tokens: string[]) => Promise<unknown>,
): Promise<{ error: CompletionError; tokens: string[] }> {
  const tokens: string[] = [];
  try {
    await run(tokens);
  } catch (error) {
    if (isCompletionError(error)) return { error, tokens };
    throw new Error(`expected a CompletionError, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected a failure, got tokens ${JSON.stringify(tokens)}`);
}

/** Streams `completion()` with `options` to its failure: the error, and the tokens before it. */
export function streamFailure(options: Omit<CompletionOptions, "query" | "stream">) {
  return failure(async (tokens) => {
    for await (const token of completion({ query: "q", ...options, stream: true })) {
      tokens.push(token);
    }
  });
}

/** Resolves after `ms`, with a timer that does not keep the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
