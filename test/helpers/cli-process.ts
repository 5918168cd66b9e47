/** The completion-chain CLI run as a child process, for the cli-*.test.ts files that spawn it. */
import { type ChildProcess, spawn } from "node:child_process";
import { expect, inject } from "vitest";

// The CLI bundled from src/ by test/setup/cli-bundle.ts before the run.
const CLI = inject("cliBundle");

export interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: () => string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/**
 * Runs the CLI. Its stdin is /dev/null (not a terminal, and empty) unless `stdin` gives what to
 * pipe in; an `EPIPE` from a child that stopped reading early is expected then.
 */
export function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
  stdin?: string | Uint8Array,
): Run {
  const clean: Record<string, string | undefined> = {
    ...process.env,
    OPENAI_BASE_URL: undefined,
    OPENAI_API_KEY: undefined,
    OPENAI_MODEL: undefined,
    ...env,
  };
  for (const key of Object.keys(clean)) if (clean[key] === undefined) delete clean[key];
  const child = spawn(process.execPath, [CLI, ...args], {
    env: clean,
    stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (stdin !== undefined) {
    child.stdin?.on("error", () => {});
    child.stdin?.end(stdin);
  }
  const stdout: string[] = [];
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => stdout.push(chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (code) => resolve({ code, stdout: stdout.join(""), stderr }));
  });
  return { child, stdout, stderr: () => stderr, done };
}

const SERVING = /serving POST (\S+)\/other\/completion/;

/**
 * The base URL once `serve` says it is listening (on stdout, its log, in either format), or
 * `undefined` if it exits first.
 */
export async function serving(run: Run): Promise<string | undefined> {
  let exited = false;
  void run.done.then(() => {
    exited = true;
  });
  while (!exited && !SERVING.test(run.stdout.join("")))
    await new Promise((resolve) => setTimeout(resolve, 10));
  return SERVING.exec(run.stdout.join(""))?.[1];
}

/** Runs `serve` expecting it to refuse to start; kills it (and the expectation fails) if it serves. */
export async function refusesToServe(args: string[]) {
  const run = cli(["serve", "--port", "0", ...args]);
  const base = await serving(run);
  if (base !== undefined) run.child.kill("SIGKILL");
  expect(base, "serve started").toBeUndefined();
  return run.done;
}

/** The one line a failed run printed to stderr (the expectation fails if there were more). */
export function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  expect(lines, stderr).toHaveLength(1);
  return lines[0] as string;
}
