import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";

const run = promisify(execFile);
const dir = fileURLToPath(new URL("../examples/", import.meta.url));
const examples = readdirSync(dir).filter((name) => name.endsWith(".ts"));

// What the recipe examples must print: the proof that their tokens really went through.
const expected: Record<string, RegExp> = {
  // LangGraph's streamMode "messages" carried each of the testing server's three tokens.
  "langgraph-node.ts": /^\[Graphs\]\[ stream\]\[ tokens\]\ntokens through the graph: 3$/m,
  // The UI message stream, read back as useChat would, holds the whole answer.
  "ai-sdk-ui-route.ts": /^UI message text: Hello from the route$/m,
  // The end frame arrived last, and the client stopped on it.
  "http-client.ts": /^ended by the end frame$/m,
};

describe("examples", () => {
  test("there are examples to run", () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const name of Object.keys(expected)) expect(examples).toContain(name);
  });

  test.each(examples)("examples/%s runs to completion offline", async (name) => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", `${dir}${name}`], {
      timeout: 60_000,
      env: { ...process.env, OPENAI_BASE_URL: "", OPENAI_API_KEY: "", EXAMPLE_ONESHOT: "1" },
    });
    expect(stdout.trim().length).toBeGreaterThan(0);
    const pattern = expected[name];
    if (pattern) expect(stdout).toMatch(pattern);
  });
});
