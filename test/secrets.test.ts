import { inspect } from "node:util";
import { ChatOpenAI, OpenAI } from "@langchain/openai";
import { initChatModel } from "langchain/chat_models/universal";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  buildRegisteredModel,
  type CompletionErrorCode,
  type CompletionOptions,
  completion,
  createCompletionChain,
  isCompletionError,
} from "../src/index.js";
import { setEnv } from "./helpers/env.js";
import { sleep } from "./helpers/fixtures.js";
import {
  closedPort,
  type HostileFault,
  type HostileUpstream,
  hostileUpstream,
} from "./helpers/hostile-upstream.js";
import { endpoint, post, TRANSPORTS, type Transport } from "./helpers/http.js";

// Keys in the forms real deployments use: OpenAI's, a local proxy's (vLLM `--api-key`), LiteLLM's.
const KEYS = [
  "sk-proj-Zq8v2Lm4Xw9Rt7Yp3Kd6Hs1Nb5",
  "local-proxy-key-7f3a9c2e51",
  "litellm-master-4b9e1d7c3a2f",
] as const;

// ---------------------------------------------------------------------------------------------
// Everything printed to the console during a test (openai-node's logger prints there).

let consoleLines: string[] = [];

beforeEach(() => {
  consoleLines = [];
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      consoleLines.push(
        args.map((arg) => (typeof arg === "string" ? arg : inspect(arg, { depth: 6 }))).join(" "),
      );
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------
// Where a key could show: the error's message, stack, its whole cause chain, inspect and JSON.

/** The key, and the parts of it that would still give it away: each line, and its tail. */
function piecesOf(key: string): string[] {
  const pieces = new Set([key, key.trim(), key.trim().slice(-10)]);
  for (const piece of key.split(/\s+/)) if (piece.length >= 6) pieces.add(piece);
  return [...pieces].filter((piece) => piece.length >= 6);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch (error) {
    return `[JSON.stringify threw: ${String(error)}]`;
  }
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "";
  }
}

/** Every text a caller could print from `error`: message, stack, each cause, inspect, JSON. */
function printedForms(error: unknown): string[] {
  const texts = [
    inspect(error, { depth: Number.POSITIVE_INFINITY }),
    inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    safeJson(error),
  ];
  const seen = new Set<unknown>();
  let link: unknown = error;
  while (link !== undefined && link !== null && !seen.has(link) && seen.size < 32) {
    seen.add(link);
    texts.push(safeString(link), safeJson(link));
    if (typeof link !== "object" && typeof link !== "function") break;
    const record = link as { message?: unknown; stack?: unknown; cause?: unknown };
    texts.push(safeString(record.message), safeString(record.stack));
    link = record.cause;
  }
  return texts;
}

/** Each place a piece of `key` shows in `texts`, with a little context; `[]` when none. */
function leaks(texts: readonly string[], key: string): string[] {
  const found: string[] = [];
  for (const piece of piecesOf(key)) {
    for (const text of texts) {
      const at = text.indexOf(piece);
      if (at >= 0)
        found.push(`${JSON.stringify(piece)} in …${text.slice(Math.max(0, at - 60), at + 80)}…`);
    }
  }
  return [...new Set(found)];
}

// ---------------------------------------------------------------------------------------------
// Where the key comes from.

type Source = "environment" | "registry" | "code" | "provider string" | "initChatModel";
const SOURCES: readonly Source[] = [
  "environment",
  "registry",
  "code",
  "provider string",
  "initChatModel",
];
/** The sources whose models the library builds itself (so it owns their SDK's logger too). */
const LIBRARY_BUILT: readonly Source[] = ["environment", "registry", "provider string"];

interface Target {
  /** What `completion()` is given besides `query`. */
  options: Pick<CompletionOptions, "model" | "models">;
  /** A model instance holding the same key, for `createCompletionChain()`. */
  chainModel: () => Promise<NonNullable<Parameters<typeof createCompletionChain>[0]["model"]>>;
}

const SETTINGS = { temperature: 0.7, maxTokens: 1024 };

/**
 * The key `key` for the endpoint `baseURL`, given the way `source` gives it. The environment and
 * provider strings set `OPENAI_API_KEY`/`OPENAI_BASE_URL` (restored after the test).
 */
async function targetFor(
  source: Source,
  key: string,
  baseURL: string,
  chat: boolean,
): Promise<Target> {
  const name = chat ? "gpt-4o-mini" : "gpt-3.5-turbo-instruct";
  const instance = (fields: Record<string, unknown>) =>
    chat
      ? new ChatOpenAI({ model: name, maxRetries: 0, ...fields })
      : new OpenAI({ model: name, maxRetries: 0, ...fields });
  switch (source) {
    case "environment": {
      setEnv({ OPENAI_API_KEY: key, OPENAI_BASE_URL: baseURL });
      return {
        options: { model: name },
        chainModel: async () => instance({ configuration: { baseURL } }),
      };
    }
    case "registry": {
      setEnv({});
      const models = {
        m: { kind: chat ? ("chat" as const) : ("completion" as const), baseURL, apiKey: key },
      };
      const entry = { m: { ...models.m, maxRetries: 0 } };
      return {
        options: { model: "m", models: entry },
        chainModel: async () => buildRegisteredModel("m", SETTINGS, { models: entry, env: {} }),
      };
    }
    case "code": {
      setEnv({});
      const model = instance({ apiKey: key, configuration: { baseURL } });
      return { options: { model }, chainModel: async () => model };
    }
    case "provider string": {
      setEnv({ OPENAI_API_KEY: key, OPENAI_BASE_URL: baseURL });
      return {
        options: { model: "openai:gpt-4o-mini" },
        chainModel: async () => initChatModel("openai:gpt-4o-mini", { maxRetries: 0 }),
      };
    }
    case "initChatModel": {
      setEnv({});
      const model = await initChatModel("gpt-4o-mini", {
        modelProvider: "openai",
        apiKey: key,
        configuration: { baseURL },
        maxRetries: 0,
      });
      return { options: { model }, chainModel: async () => model };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The entry points a failure can come out of.

const PATHS = [
  "completion({ stream: true })",
  "completion()",
  "createCompletionChain().invoke()",
  "createCompletionChain().stream()",
] as const;
type Path = (typeof PATHS)[number];

interface RunExtras {
  signal?: AbortSignal;
  timeout?: number;
}

/** Runs `path` to its end and returns what it threw (or fails the test when nothing was thrown). */
async function thrownBy(path: Path, target: Target, extras: RunExtras): Promise<unknown> {
  const options = {
    query: "q",
    ...target.options,
    ...(extras.signal === undefined ? {} : { signal: extras.signal }),
    ...(extras.timeout === undefined ? {} : { timeout: extras.timeout }),
  };
  try {
    switch (path) {
      case "completion({ stream: true })":
        for await (const _ of completion({ ...options, stream: true })) {
          // read to the end
        }
        break;
      case "completion()":
        await completion(options);
        break;
      case "createCompletionChain().invoke()": {
        const chain = createCompletionChain({
          model: await target.chainModel(),
          ...(extras.timeout === undefined ? {} : { timeout: extras.timeout }),
        });
        await chain.invoke({ input: "q" }, { signal: extras.signal });
        break;
      }
      case "createCompletionChain().stream()": {
        const chain = createCompletionChain({
          model: await target.chainModel(),
          ...(extras.timeout === undefined ? {} : { timeout: extras.timeout }),
        });
        for await (const _ of await chain.stream({ input: "q" }, { signal: extras.signal })) {
          // read to the end
        }
        break;
      }
    }
  } catch (error) {
    return error;
  }
  throw new Error(`${path} did not fail`);
}

// ---------------------------------------------------------------------------------------------
// The failures.

interface Failure {
  /** How the test names it. */
  what: string;
  /** The hostile upstream's fault; `undefined` for a closed port. */
  fault: HostileFault | undefined;
  code: CompletionErrorCode;
  status?: number;
  /** Run with this `timeout`. */
  timeout?: number;
  /** Abort the caller's signal once the first token is out. */
  abort?: boolean;
  /** Sources left out, with the reason in a comment at the entry. */
  skip?: readonly Source[];
}

const TIMEOUT_MS = 300;

const FAILURES: readonly Failure[] = [
  {
    what: "an upstream 401 whose body echoes the Authorization header",
    fault: "status401",
    code: "upstream_error",
    status: 401,
  },
  {
    what: "an upstream 500 whose body echoes the key",
    fault: "status500",
    code: "upstream_error",
    status: 500,
    // LangChain retries a 500 six times with exponential backoff (about a minute) for a model
    // built from a provider string, and completion() gives no way to lower that.
    skip: ["provider string"],
  },
  {
    what: "an upstream 429 whose body echoes the key",
    fault: "status429",
    code: "upstream_error",
    status: 429,
  },
  {
    what: "a refused connection",
    fault: undefined,
    code: "upstream_unavailable",
    // LangChain retries a connection error six times with backoff, as for a 500.
    skip: ["provider string"],
  },
  {
    what: "a malformed chunk quoting the key",
    fault: "malformed",
    code: "upstream_malformed",
  },
  { what: "an error chunk quoting the key", fault: "errorChunk", code: "upstream_error" },
  { what: "a connection dropped mid-stream", fault: "drop", code: "upstream_incomplete" },
  { what: "a stream without a finish reason", fault: "noFinish", code: "upstream_incomplete" },
  {
    what: "a stall that hits the timeout",
    fault: "stall",
    code: "upstream_timeout",
    timeout: TIMEOUT_MS,
  },
  { what: "an abort by the caller's signal", fault: "stall", code: "aborted", abort: true },
];

interface Endpoint {
  baseURL: string;
  hostile: HostileUpstream | undefined;
}

async function endpointFor(failure: Failure): Promise<Endpoint> {
  if (failure.fault === undefined) {
    return { baseURL: `http://127.0.0.1:${await closedPort()}/v1`, hostile: undefined };
  }
  const hostile = await hostileUpstream(failure.fault);
  return { baseURL: hostile.url, hostile };
}

/** The failures with their index, from which each source picks its key and its kind of model. */
const CASES = FAILURES.map((failure, index) => ({ ...failure, index }));

/**
 * The key and the kind of model (chat or not) the `sourceIndex`th source uses for `failure`:
 * the keys and kinds in turn, so that every key and kind meets every failure.
 */
function keyFor(failure: { index: number }, sourceIndex: number) {
  const turn = failure.index + sourceIndex;
  return { key: KEYS[turn % KEYS.length] as string, chat: turn % 2 === 0 };
}

/** Aborts `controller` once `hostile` has sent one more token. */
function abortAfterNextToken(hostile: HostileUpstream, controller: AbortController): void {
  const next = hostile.tokensSent() + 1;
  void hostile.waitForTokens(next).then(() => controller.abort());
}

describe("the API key appears in no message, stack, cause chain, inspect output or JSON", () => {
  test.each(CASES)(
    "$what: every error from every entry point is clean, wherever the key came from",
    async (failure) => {
      const { baseURL, hostile } = await endpointFor(failure);
      let runs = 0;
      for (const [sourceIndex, source] of SOURCES.entries()) {
        if (failure.skip?.includes(source)) continue;
        const { key, chat: alternate } = keyFor(failure, sourceIndex);
        const chat = source === "provider string" || source === "initChatModel" || alternate;
        for (const path of PATHS) {
          const target = await targetFor(source, key, baseURL, chat);
          const controller = new AbortController();
          if (failure.abort && hostile !== undefined) abortAfterNextToken(hostile, controller);
          const where = `${source} key ${JSON.stringify(key)} (${chat ? "chat" : "completion"}), ${path}`;
          const error = await thrownBy(path, target, {
            ...(failure.abort ? { signal: controller.signal } : {}),
            ...(failure.timeout === undefined ? {} : { timeout: failure.timeout }),
          });
          // Soft: every source and entry point is checked, and every failure reported.
          expect.soft(leaks(printedForms(error), key), where).toEqual([]);
          runs += 1;
          // The chain's public stream() races its signal and throws LangChain's bare AbortError
          // first: a bug of its own, tested in langchain-citizen.test.ts, not a leak.
          if (failure.abort && path === "createCompletionChain().stream()") continue;
          expect.soft(isCompletionError(error), `${where}: ${safeString(error)}`).toBe(true);
          const { code, status } = error as { code: string; status?: number };
          expect.soft({ where, code, status }).toEqual({
            where,
            code: failure.code,
            status: failure.status,
          });
        }
      }
      expect(runs).toBeGreaterThanOrEqual(16);
      // The endpoint really received each key, so each had the chance to leak.
      if (hostile !== undefined) {
        for (const key of KEYS) expect(hostile.authorizations).toContain(`Bearer ${key}`);
      }
    },
  );

  test("a malformed chunk quoting the key is printed to no console by a model the library built", async () => {
    const hostile = await hostileUpstream("malformed");
    for (const [index, source] of LIBRARY_BUILT.entries()) {
      const key = KEYS[index] as string;
      const target = await targetFor(source, key, hostile.url, true);
      for (const path of ["completion({ stream: true })", "completion()"] as const) {
        consoleLines = [];
        const error = await thrownBy(path, target, {});
        expect((error as { code?: string }).code).toBe("upstream_malformed");
        expect.soft(leaks(consoleLines, key), `${source}, ${path}`).toEqual([]);
      }
    }
    expect(hostile.authorizations).toHaveLength(LIBRARY_BUILT.length * 2);
  });

  test("a key holding a newline (invalid in a header) is quoted by fetch's header error but by none of ours", async () => {
    const key = "local-proxy-key-7f3a\n9c2e51";
    const hostile = await hostileUpstream("status401");
    for (const source of SOURCES) {
      for (const path of PATHS) {
        const target = await targetFor(source, key, hostile.url, source !== "registry");
        const error = await thrownBy(path, target, {});
        const where = `${source}, ${path}`;
        expect.soft(leaks(printedForms(error), key), where).toEqual([]);
        expect.soft(isCompletionError(error), `${where}: ${safeString(error)}`).toBe(true);
      }
    }
    // fetch refused the header: the key never left the process.
    expect(hostile.authorizations).toEqual([]);
  });

  test("a key read from a file with its trailing newline is redacted in the form the endpoint received", async () => {
    // fetch strips the newline from the header value, so the endpoint sees (and echoes) the key
    // without it: redacting only the exact configured string would miss it.
    const key = "litellm-master-4b9e1d7c3a2f\n";
    const hostile = await hostileUpstream("status401");
    for (const source of SOURCES) {
      for (const path of PATHS) {
        const target = await targetFor(source, key, hostile.url, true);
        const error = await thrownBy(path, target, {});
        const where = `${source}, ${path}`;
        expect((error as { code?: string }).code, where).toBe("upstream_error");
        expect.soft(leaks(printedForms(error), key), where).toEqual([]);
      }
    }
    expect(hostile.authorizations).toContain("Bearer litellm-master-4b9e1d7c3a2f");
  });

  test("a baseURL with user:password@ is refused, and no error prints the password", async () => {
    const hostile = await hostileUpstream("status401");
    const password = "hunter2-9d8c7b6a5f";
    const baseURL = hostile.url.replace("http://", `http://deploy:${password}@`);
    // Provider strings: see the next test (LangChain would retry the refusal for a minute).
    for (const source of SOURCES.filter((source) => source !== "provider string")) {
      for (const path of PATHS) {
        const target = await targetFor(source, KEYS[1], baseURL, true);
        const error = await thrownBy(path, target, {});
        const where = `${source}, ${path}`;
        expect.soft(leaks(printedForms(error), password), where).toEqual([]);
        expect.soft(leaks(printedForms(error), KEYS[1]), where).toEqual([]);
        expect.soft(isCompletionError(error), `${where}: ${safeString(error)}`).toBe(true);
        // A model the library builds (not one given to the chain) is refused before any request.
        if ((source === "registry" || source === "environment") && path.startsWith("completion")) {
          expect((error as { code?: string }).code, where).toBe("invalid_options");
        }
      }
    }
    expect(hostile.authorizations).toEqual([]);
  });

  test("a provider:model string with user:password@ in OPENAI_BASE_URL is refused up front, without the password", async () => {
    const hostile = await hostileUpstream("status401");
    const password = "hunter2-9d8c7b6a5f";
    const baseURL = hostile.url.replace("http://", `http://deploy:${password}@`);
    const target = await targetFor("provider string", KEYS[2], baseURL, true);
    for (const path of ["completion({ stream: true })", "completion()"] as const) {
      // The timeout only bounds the test: a refusal up front needs no time at all.
      const error = await thrownBy(path, target, { timeout: 2_000 });
      expect.soft(leaks(printedForms(error), password), path).toEqual([]);
      expect.soft(leaks(printedForms(error), KEYS[2]), path).toEqual([]);
      expect((error as { code?: string }).code, `${path}: ${safeString(error)}`).toBe(
        "invalid_options",
      );
    }
    expect(hostile.authorizations).toEqual([]);
  });

  test("a provider:model string that initChatModel cannot build fails without printing the key", async () => {
    const key = KEYS[2];
    setEnv({ OPENAI_API_KEY: key, OPENAI_BASE_URL: "http://127.0.0.1:9/v1" });
    for (const model of ["nosuchprovider:some-model", "anthropic:claude-sonnet-4-5"]) {
      for (const stream of [true, false]) {
        const error = await thrownBy(
          stream ? "completion({ stream: true })" : "completion()",
          {
            options: { model },
            chainModel: async () => {
              throw new Error("unused");
            },
          },
          {},
        );
        expect.soft(leaks(printedForms(error), key), model).toEqual([]);
        expect.soft(isCompletionError(error), `${model}: ${safeString(error)}`).toBe(true);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Over HTTP: the response body and the access log.

type HttpSource = "environment" | "registry";

async function serveFor(
  source: HttpSource,
  transport: Transport,
  key: string,
  baseURL: string,
  chat: boolean,
  lines: string[],
  timeoutMs?: number,
) {
  const common = {
    transport,
    log: (line: string) => lines.push(line),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
  if (source === "environment") {
    setEnv({
      OPENAI_API_KEY: key,
      OPENAI_BASE_URL: baseURL,
      OPENAI_MODEL: chat ? "gpt-4o-mini" : "gpt-3.5-turbo-instruct",
    });
    return endpoint(common);
  }
  setEnv({});
  const kind = chat ? ("chat" as const) : ("completion" as const);
  return endpoint({ ...common, models: { m: { kind, baseURL, apiKey: key, maxRetries: 0 } } });
}

/** Waits until `lines` holds a line (the log comes when the response ends or is abandoned). */
async function logged(lines: string[]): Promise<void> {
  while (lines.length === 0) await sleep(5);
}

/**
 * Serves a chat model with `key` and `baseURL` from `source` over `transport`, POSTs one query and
 * closes the endpoint: the response's status, and all that was printed (the body, the access log
 * lines, the console).
 */
async function answerFor(
  source: HttpSource,
  transport: Transport,
  key: string,
  baseURL: string,
  stream = true,
) {
  const lines: string[] = [];
  const api = await serveFor(source, transport, key, baseURL, true, lines);
  const response = await post(api, { query: "q", stream });
  const body = await response.text();
  await logged(lines);
  const printed = [body, ...lines, ...consoleLines];
  await api.close();
  return { status: response.status, printed };
}

describe("over HTTP, the API key appears in no response body and no log line", () => {
  test.each(CASES)(
    "$what: every response and log line is clean, for both transports and both stream modes",
    async (failure) => {
      const { baseURL, hostile } = await endpointFor(failure);
      for (const [sourceIndex, source] of (["environment", "registry"] as const).entries()) {
        const { key, chat } = keyFor(failure, sourceIndex);
        for (const transport of TRANSPORTS) {
          for (const stream of [true, false]) {
            const lines: string[] = [];
            const api = await serveFor(
              source,
              transport,
              key,
              baseURL,
              chat,
              lines,
              failure.timeout,
            );
            const where = `${source} key ${JSON.stringify(key)}, ${transport}, stream: ${stream}`;
            let body = "";
            if (failure.abort && hostile !== undefined) {
              // The client goes away once the first token is out.
              const controller = new AbortController();
              abortAfterNextToken(hostile, controller);
              try {
                const response = await fetch(`${api.url}/other/completion`, {
                  method: "POST",
                  headers: { "content-type": "application/json" },
                  body: JSON.stringify({ query: "q", stream }),
                  signal: controller.signal,
                });
                body = await response.text();
              } catch {
                // aborted, as intended
              }
            } else {
              const response = await post(api, { query: "q", stream });
              body = await response.text();
              expect(response.status, where).not.toBe(500);
              expect(body, where).toContain(failure.code);
            }
            await logged(lines);
            expect.soft(leaks([body], key), `${where}: body`).toEqual([]);
            expect.soft(leaks(lines, key), `${where}: log`).toEqual([]);
            expect.soft(leaks(consoleLines, key), `${where}: console`).toEqual([]);
            await api.close();
          }
        }
      }
    },
  );

  test("a baseURL with user:password@ is refused without its password in the response or the log", async () => {
    const hostile = await hostileUpstream("status401");
    const password = "hunter2-9d8c7b6a5f";
    const baseURL = hostile.url.replace("http://", `http://deploy:${password}@`);
    for (const source of ["environment", "registry"] as const) {
      for (const transport of TRANSPORTS) {
        if (source === "registry") {
          // A registry is checked when the handler is made: the operator hears of it at startup.
          const made = await serveFor(source, transport, KEYS[0], baseURL, true, []).then(
            () => undefined,
            (error: unknown) => error,
          );
          expect(isCompletionError(made) && made.code, transport).toBe("invalid_options");
          expect.soft(leaks(printedForms(made), password), transport).toEqual([]);
          continue;
        }
        const { status, printed } = await answerFor(source, transport, KEYS[0], baseURL);
        const where = `${source}, ${transport}`;
        expect(status, where).not.toBe(200);
        expect.soft(leaks(printed, password), where).toEqual([]);
        expect.soft(leaks(printed, KEYS[0]), where).toEqual([]);
      }
    }
    expect(hostile.authorizations).toEqual([]);
  });

  test("a key read from a file with its trailing newline is in no response body or log line", async () => {
    const key = "litellm-master-4b9e1d7c3a2f\n";
    const hostile = await hostileUpstream("status401");
    for (const source of ["environment", "registry"] as const) {
      for (const transport of TRANSPORTS) {
        for (const stream of [true, false]) {
          const { status, printed } = await answerFor(source, transport, key, hostile.url, stream);
          const where = `${source}, ${transport}, stream: ${stream}`;
          expect.soft(status, where).toBe(502);
          expect.soft(leaks(printed, key), where).toEqual([]);
        }
      }
    }
    expect(hostile.authorizations).toContain("Bearer litellm-master-4b9e1d7c3a2f");
  });

  test("a key holding a newline fails the request without the key in the response or the log", async () => {
    const key = "local-proxy-key-7f3a\n9c2e51";
    const hostile = await hostileUpstream("status401");
    for (const source of ["environment", "registry"] as const) {
      for (const transport of TRANSPORTS) {
        const { status, printed } = await answerFor(source, transport, key, hostile.url);
        const where = `${source}, ${transport}`;
        expect(status, where).not.toBe(200);
        expect.soft(leaks(printed, key), where).toEqual([]);
      }
    }
  });
});
