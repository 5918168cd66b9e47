/** `completion-chain serve --workers N` run as a child process, and what its log says. */
import { expect } from "vitest";
import { cli, type Run, serving } from "./cli-process.js";
import { upstream } from "./fixtures.js";

/** The JSON lines `serve` has logged so far (the primary's and the workers'). */
export const logged = (run: Run): Record<string, unknown>[] =>
  run.stdout
    .join("")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));

/** Polls the log until `count` lines match `predicate` (or the run ends); returns them. */
export async function lines(
  run: Run,
  predicate: (line: Record<string, unknown>) => boolean,
  count = 1,
) {
  let exited = false;
  void run.done.then(() => {
    exited = true;
  });
  for (;;) {
    const found = logged(run).filter(predicate);
    if (found.length >= count || exited) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The pids of the workers the primary logged as listening. */
export const listeningPids = (run: Run, count: number) =>
  lines(run, (line) => /^worker \d+ listening$/.test(String(line.msg)), count).then((found) =>
    found.map((line) => line.worker as number),
  );

export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export const post = (base: string, body: object = { query: "hi" }) =>
  fetch(`${base}/other/completion`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** `serve --workers …` against a loopback upstream, once it listens. */
export async function serveWorkers(args: string[], env: Record<string, string> = {}) {
  const server = await upstream({ tokens: ["a", "b"], delayMs: 100 });
  const run = cli(["serve", "--port", "0", "--base-url", server.url, "--model", "m", ...args], env);
  const base = await serving(run);
  expect(base, run.stderr()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  return { server, run, base: base as string };
}
