import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";

const run = promisify(execFile);
const dir = fileURLToPath(new URL("../examples/", import.meta.url));
const examples = readdirSync(dir).filter((name) => name.endsWith(".ts"));

describe("examples", () => {
  test("there are examples to run", () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  test.each(examples)("examples/%s runs to completion offline", async (name) => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", `${dir}${name}`], {
      timeout: 60_000,
      env: { ...process.env, OPENAI_BASE_URL: "", OPENAI_API_KEY: "", EXAMPLE_ONESHOT: "1" },
    });
    expect(stdout.trim().length).toBeGreaterThan(0);
  });
});
