import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { cli } from "./helpers/cli-process.js";

const dir = mkdtempSync(join(tmpdir(), "completion-chain-imports-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const recorder = pathToFileURL(join(import.meta.dirname, "helpers", "record-imports.mjs")).href;
let runs = 0;

/** The CLI run with `args`: its exit code and the packages (under node_modules) it loaded. */
async function packagesLoaded(
  args: string[],
): Promise<{ code: number | null; packages: string[] }> {
  const file = join(dir, `imports-${runs++}.txt`);
  const { code } = await cli(args, {
    NODE_OPTIONS: `--import ${recorder}`,
    RECORD_IMPORTS: file,
  }).done;
  const urls = readFileSync(file, "utf8").split("\n");
  const packages = new Set<string>();
  for (const url of urls) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match?.[1]) packages.add(match[1]);
  }
  return { code, packages: [...packages].sort() };
}

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
});
