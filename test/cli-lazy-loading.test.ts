import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { cli, serving } from "./helpers/cli-process.js";
import { listeningPids } from "./helpers/cluster-run.js";

const dir = mkdtempSync(join(tmpdir(), "completion-chain-imports-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const recorder = pathToFileURL(join(import.meta.dirname, "helpers", "record-imports.mjs")).href;
let runs = 0;

/** The packages (under node_modules) each process recorded in `file` loaded, by pid. */
function packagesByPid(file: string): Map<number, string[]> {
  const byPid = new Map<number, Set<string>>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [pid, url = ""] = line.split("\t");
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (!match?.[1]) continue;
    const packages = byPid.get(Number(pid)) ?? new Set<string>();
    packages.add(match[1]);
    byPid.set(Number(pid), packages);
  }
  return new Map([...byPid].map(([pid, packages]) => [pid, [...packages].sort()]));
}

/** `cli(args)` with every module it resolves recorded in a file of its own; returns the run and the file. */
function recordedCli(args: string[]) {
  const file = join(dir, `imports-${runs++}.txt`);
  const run = cli(args, { NODE_OPTIONS: `--import ${recorder}`, RECORD_IMPORTS: file });
  return { run, file };
}

/** The CLI run with `args`: its exit code and the packages (under node_modules) it loaded. */
async function packagesLoaded(
  args: string[],
): Promise<{ code: number | null; packages: string[] }> {
  const { run, file } = recordedCli(args);
  const { code } = await run.done;
  return { code, packages: packagesByPid(file).get(run.child.pid as number) ?? [] };
}

/** What only a process that serves needs. */
const SERVER = ["@hono/node-server", "hono", "@langchain/openai", "openai"];

const HEAVY = [
  "@langchain/core",
  "@langchain/openai",
  "openai",
  "zod",
  "hono",
  "@hono/node-server",
];

describe("the CLI loads the library only as far as it needs it", () => {
  test("a completion loads LangChain and the openai SDK (the recorder sees them)", async () => {
    const { code, packages } = await packagesLoaded(["hello big world"]);
    expect(code).toBe(0);
    expect(packages).toEqual(expect.arrayContaining(["@langchain/core", "@langchain/openai"]));
  });

  test.each([
    [["--version"], 0],
    [["--help"], 0],
    [["serve", "--help"], 0],
    [["hi", "--max-token", "5"], 2],
    [["serve", "--workers", "two"], 2],
    [["serve", "--port", "-1"], 2],
  ])(
    "completion-chain %j loads none of LangChain, the openai SDK, zod or hono",
    async (args, exit) => {
      const { code, packages } = await packagesLoaded(args);
      expect(code).toBe(exit);
      expect(packages.filter((name) => HEAVY.includes(name))).toEqual([]);
    },
  );

  test("an option out of range loads only the options' schema (zod), not LangChain", async () => {
    const { code, packages } = await packagesLoaded(["hi", "--temperature", "3"]);
    expect(code).toBe(2);
    expect(packages).toContain("zod");
    expect(packages.filter((name) => name.startsWith("@langchain/") || name === "openai")).toEqual(
      [],
    );
  });

  test("a serve --workers primary loads neither the server nor the openai SDK; its workers do", async () => {
    const { run, file } = recordedCli(["serve", "--port", "0", "--workers", "2"]);
    try {
      expect(await serving(run), run.stderr()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await listeningPids(run, 2);
    } finally {
      run.child.kill("SIGTERM");
      await run.done;
    }
    const byPid = packagesByPid(file);
    const primary = byPid.get(run.child.pid as number) ?? [];
    const workers = [...byPid].filter(([pid]) => pid !== run.child.pid).map(([, found]) => found);
    expect(primary.filter((name) => SERVER.includes(name))).toEqual([]);
    expect(workers).toHaveLength(2);
    for (const found of workers) expect(found).toEqual(expect.arrayContaining(SERVER));
  }, 30_000);
});
