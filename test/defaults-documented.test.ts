// The defaults live in src/defaults.ts; the README and the TSDoc of the options restate them for
// readers. These tests read each statement and fail when it and the constant differ, whichever of
// the two was changed. A statement that can no longer be found fails too: say where it went.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import {
  CLIENT_TIMEOUT_MS,
  COMPLETION_PATH,
  DEFAULT_ECHO,
  DEFAULT_MAX_TOKENS,
  DEFAULT_PROMPT_NAME,
  DEFAULT_STREAM,
  DEFAULT_TEMPERATURE,
  DEFAULT_TIMEOUT_MS,
  GRACE_MS,
  LOG_CONTENT_MAX_CHARS,
  MAX_BODY_BYTES,
  MAX_STDIN_QUERY_BYTES,
  PING_INTERVAL_MS,
  SERVE_HOST,
  SERVE_PORT,
  SERVE_TIMEOUT_MS,
  TEMPERATURE_RANGE,
} from "../src/defaults.js";
import { MAX_UPSTREAM_EVENT_BYTES } from "../src/upstream-fetch.js";

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");
const README = read("README.md");

/** `15000` as the README's prose writes it: `15 000`. */
const spaced = (n: number) => String(n).replace(/\B(?=(\d{3})+$)/g, " ");
const seconds = (ms: number) => String(ms / 1000);
const mib = (bytes: number) => String(bytes / 1024 / 1024);
const { min, max } = TEMPERATURE_RANGE;

/** Where the README states a default, and what it must say: one expected value per group. */
const README_STATEMENTS: [where: string, pattern: RegExp, expected: string[]][] = [
  ["options table, stream", /^\| `stream` \| `boolean` \| `([^`]*)` \|/m, [`${DEFAULT_STREAM}`]],
  ["options table, echo", /^\| `echo` \| `boolean` \| `([^`]*)` \|/m, [`${DEFAULT_ECHO}`]],
  [
    "options table, temperature",
    /^\| `temperature` \| `number` \| `([^`]*)` \| (\S+) ≤ t ≤ (\S+);/m,
    [`${DEFAULT_TEMPERATURE}`, `${min}`, `${max}`],
  ],
  [
    "options table, maxTokens",
    /^\| `maxTokens` \| `number \\\| null` \| `([^`]*)` \|/m,
    [`${DEFAULT_MAX_TOKENS}`],
  ],
  [
    "options table, promptName",
    /^\| `promptName` \| `string` \| `"([^"`]*)"` \|/m,
    [DEFAULT_PROMPT_NAME],
  ],
  [
    "options table, timeout",
    /^\| `timeout` \| `number` \(ms\) \| the model entry's `timeout`, else `(\d+)` \|/m,
    [`${DEFAULT_TIMEOUT_MS}`],
  ],
  [
    "model registry table, timeout",
    /^\| `timeout` \| `(\d+)` \(`(\d+)` under `serve`\) \|/m,
    [`${DEFAULT_TIMEOUT_MS}`, `${SERVE_TIMEOUT_MS}`],
  ],
  ["body table, stream", /^\| `stream` \| bool \| `([^`]*)` \|/m, [`${DEFAULT_STREAM}`]],
  ["body table, echo", /^\| `echo` \| bool \| `([^`]*)` \|/m, [`${DEFAULT_ECHO}`]],
  [
    "body table, temperature",
    /^\| `temperature` \| float \| `([^`]*)` \| (\S+) ≤ t ≤ (\S+) \|/m,
    [`${DEFAULT_TEMPERATURE}`, `${min}`, `${max}`],
  ],
  [
    "body table, max_tokens",
    /^\| `max_tokens` \| int or null \| `([^`]*)` \|/m,
    [`${DEFAULT_MAX_TOKENS}`],
  ],
  [
    "body table, prompt_name",
    /^\| `prompt_name` \| string \| `"([^"`]*)"` \|/m,
    [DEFAULT_PROMPT_NAME],
  ],
  [
    "createCompletionHandler options",
    /`pingIntervalMs` \(([\d ]+)\), `maxBodyBytes` \((\d+) MiB\)/,
    [spaced(PING_INTERVAL_MS), mib(MAX_BODY_BYTES)],
  ],
  [
    "createCompletionHandler options, timeouts",
    /`timeoutMs` \(([\d ]+)\), `clientTimeoutMs` \(([\d ]+)\)/,
    [spaced(SERVE_TIMEOUT_MS), spaced(CLIENT_TIMEOUT_MS)],
  ],
  [
    "serveCompletion options",
    /`host` \(`([^`]+)`\), `port`\s+\((\d+)\), `graceMs` \(([\d ]+)\)/,
    [SERVE_HOST, `${SERVE_PORT}`, spaced(GRACE_MS)],
  ],
  [
    "serve synopsis, host and port",
    /`completion-chain serve \[--host (\S+)\] \[--port (\d+)\]/,
    [SERVE_HOST, `${SERVE_PORT}`],
  ],
  [
    "serve synopsis, durations",
    /\[--timeout (\d+)\] \[--client-timeout (\d+)\] \[--grace (\d+)\] \[--ping-interval (\d+)\]/,
    [
      seconds(SERVE_TIMEOUT_MS),
      seconds(CLIENT_TIMEOUT_MS),
      seconds(GRACE_MS),
      seconds(PING_INTERVAL_MS),
    ],
  ],
  [
    "CLI, the query from stdin",
    /reads the query from stdin \(UTF-8, at most (\d+) MiB/,
    [mib(MAX_STDIN_QUERY_BYTES)],
  ],
  [
    "SSE framing, ping",
    /\(UTC\) every (\d+) s from the start of the response/,
    [seconds(PING_INTERVAL_MS)],
  ],
  [
    "production table, timeout",
    /`--timeout`, `timeoutMs` \| (\d+) s \/ (\d+) s \|/,
    [seconds(DEFAULT_TIMEOUT_MS), seconds(SERVE_TIMEOUT_MS)],
  ],
  [
    "production table, client timeout",
    /`clientTimeoutMs` \/ `--client-timeout` \| (\d+) s \|/,
    [seconds(CLIENT_TIMEOUT_MS)],
  ],
  ["production table, grace", /`graceMs` \/ `--grace` \| (\d+) s \|/, [seconds(GRACE_MS)]],
  [
    "production table, upstream event size",
    /one event over (\d+) MiB.*\| — \| (\d+) MiB \|/,
    [mib(MAX_UPSTREAM_EVENT_BYTES), mib(MAX_UPSTREAM_EVENT_BYTES)],
  ],
  [
    "createCompletionHandler options, logContent",
    /`logContent`\s+\(`false`; the entry then carries the query and the answer, each cut at ([\d ]+) characters\)/,
    [spaced(LOG_CONTENT_MAX_CHARS)],
  ],
  [
    "What is logged, logContent",
    /`answer`,\s+each cut at ([\d ]+) characters and then named in `truncated`/,
    [spaced(LOG_CONTENT_MAX_CHARS)],
  ],
  ["Python original table, stream", /\| `stream` \(default `(\w+)`\) \|$/m, [`${DEFAULT_STREAM}`]],
  [
    "Python original table, temperature",
    /\| `temperature` \(([\d.]+), (\d+)\.\.(\d+)\) \|$/m,
    [`${DEFAULT_TEMPERATURE}`, `${min}`, `${max}`],
  ],
  ["Python original table, maxTokens", /\| `maxTokens` \((\d+);/, [`${DEFAULT_MAX_TOKENS}`]],
  ["Python original table, promptName", /\| `promptName` \(`"([^"]+)"`/, [DEFAULT_PROMPT_NAME]],
];

/**
 * The `@defaultValue` text of the TSDoc block right before the declaration of `property` in `file`.
 */
function tsdocDefault(file: string, property: string): string | undefined {
  const declaration = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*${property}\\??:`);
  const block = declaration.exec(read(file))?.[1];
  const found = block === undefined ? undefined : /@defaultValue ([^\n]*)/.exec(block)?.[1];
  return found?.replace(/\s*\*\/?$/, "");
}

/** A value as TSDoc quotes it: `` `0.7` ``, `` `"default"` ``. */
const code = (value: unknown) => `\`${JSON.stringify(value)}\``;

/** Where the TSDoc states a default: file → property → the texts its `@defaultValue` must hold. */
const COMPLETION_OPTIONS = {
  stream: [code(DEFAULT_STREAM)],
  echo: [code(DEFAULT_ECHO)],
  temperature: [code(DEFAULT_TEMPERATURE)],
  maxTokens: [code(DEFAULT_MAX_TOKENS)],
  promptName: [code(DEFAULT_PROMPT_NAME)],
  timeout: [code(DEFAULT_TIMEOUT_MS)],
};
const TSDOC: Record<string, Record<string, string[]>> = {
  "src/options.ts": COMPLETION_OPTIONS,
  // The chain's options that completion()'s also has state the same defaults.
  "src/chain-options.ts": {
    timeout: COMPLETION_OPTIONS.timeout,
    promptName: COMPLETION_OPTIONS.promptName,
  },
  "src/models.ts": { timeout: [code(DEFAULT_TIMEOUT_MS), code(SERVE_TIMEOUT_MS)] },
  "src/http/handler-options.ts": {
    defaults: [
      `temperature ${DEFAULT_TEMPERATURE}`,
      `max_tokens ${DEFAULT_MAX_TOKENS}`,
      `prompt_name ${JSON.stringify(DEFAULT_PROMPT_NAME)}`,
    ],
    pingIntervalMs: [code(PING_INTERVAL_MS)],
    maxBodyBytes: [code(MAX_BODY_BYTES)],
    path: [code(COMPLETION_PATH)],
    timeoutMs: [code(SERVE_TIMEOUT_MS)],
    clientTimeoutMs: [code(CLIENT_TIMEOUT_MS)],
  },
  "src/http/node/serve.ts": {
    host: [code(SERVE_HOST)],
    port: [code(SERVE_PORT)],
    graceMs: [code(GRACE_MS)],
  },
};
const TSDOC_STATEMENTS = Object.entries(TSDOC).flatMap(([file, properties]) =>
  Object.entries(properties).map(([property, expected]) => [file, property, expected] as const),
);

describe("every default the documentation states is the one in src/defaults.ts", () => {
  test.each(README_STATEMENTS)("README, %s", (where, pattern, expected) => {
    const match = pattern.exec(README);
    expect(match, `README.md no longer states the ${where} as ${pattern}`).not.toBeNull();
    expect(match?.slice(1)).toEqual(expected);
  });

  test.each(TSDOC_STATEMENTS)("%s, the @defaultValue of %s", (file, property, expected) => {
    const stated = tsdocDefault(file, property);
    expect(stated, `${file} states no @defaultValue for ${property}`).toBeDefined();
    for (const text of expected) expect(stated).toContain(text);
  });
});
