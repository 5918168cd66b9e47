import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { cli, oneLine, refusesToServe } from "./helpers/cli-process.js";
import { upstream } from "./helpers/fixtures.js";

describe("flags", () => {
  test("a negative number after a numeric flag is its value: --max-tokens -3 asks for the model's maximum", async () => {
    const server = await upstream({ tokens: ["ok"] });
    const { code, stdout } = await cli([
      "hi",
      "--base-url",
      server.url,
      "--model",
      "m",
      "--max-tokens",
      "-3",
    ]).done;
    expect(code).toBe(0);
    expect(stdout).toBe("ok\n");
    expect(server.requests[0]?.body).not.toHaveProperty("max_tokens");
  });

  test("a negative number out of range gets the flag's own one-line message, not the parser's", async () => {
    const [temperature, port] = await Promise.all([
      cli(["hi", "--temperature", "-0.5"]).done,
      refusesToServe(["--port", "-1"]),
    ]);
    expect([temperature.code, port.code]).toEqual([2, 2]);
    expect(oneLine(temperature.stderr)).toBe(
      "completion-chain: `temperature` must be between 0 and 1, got -0.5 (invalid_options)",
    );
    expect(oneLine(port.stderr)).toBe(
      'completion-chain: --port must be an integer 0..65535, got "-1"',
    );
  });

  test("--version and serve -V print the package's version and exit 0", async () => {
    const { version } = JSON.parse(
      readFileSync(new URL("../package.json", import.meta.url), "utf8"),
    ) as { version: string };
    const runs = await Promise.all([cli(["--version"]).done, cli(["serve", "-V"]).done]);
    for (const run of runs) expect(run).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  test("an unknown flag exits 2 with one line suggesting the nearest known flag", async () => {
    const runs = await Promise.all([
      cli(["hi", "--max-token", "5"]).done,
      cli(["serve", "--prot", "80"]).done,
    ]);
    expect(runs.map(({ code }) => code)).toEqual([2, 2]);
    expect(runs.map(({ stderr }) => oneLine(stderr))).toEqual([
      "completion-chain: unknown option --max-token; did you mean --max-tokens? (see --help)",
      "completion-chain: unknown option --prot; did you mean --port? (see serve --help)",
    ]);
  });

  test("a flag whose value starts with a dash fails with exit 2 and one line", async () => {
    const { code, stderr } = await cli(["hi", "--model", "-x"]).done;
    expect(code).toBe(2);
    expect(oneLine(stderr)).toContain("--model");
  });

  test("--timeout takes positive seconds: 0 fails with exit 2 and one line naming it", async () => {
    const { code, stderr } = await cli(["hi", "--timeout", "0"]).done;
    expect(code).toBe(2);
    expect(oneLine(stderr)).toBe(
      'completion-chain: --timeout must be a positive number of seconds, got "0"',
    );
  });

  test("serve --timeout, --client-timeout and --grace reject bad values with exit 2 and one line naming the flag", async () => {
    const runs = await Promise.all([
      refusesToServe(["--timeout", "0"]),
      refusesToServe(["--client-timeout", "soon"]),
      refusesToServe(["--grace", "-1"]),
    ]);
    expect(runs.map(({ code }) => code)).toEqual([2, 2, 2]);
    expect(runs.map(({ stderr }) => oneLine(stderr))).toEqual([
      'completion-chain: --timeout must be a positive number of seconds, got "0"',
      'completion-chain: --client-timeout must be a positive number of seconds, got "soon"',
      'completion-chain: --grace must be a positive number of seconds, got "-1"',
    ]);
  });

  test("both --help texts document the exit codes and --version; complete's the query from stdin", async () => {
    const [complete, serve] = await Promise.all([
      cli(["--help"]).done,
      cli(["serve", "--help"]).done,
    ]);
    for (const help of [complete.stdout, serve.stdout]) {
      expect(help).toMatch(/^Exit codes:/m);
      expect(help).toMatch(/^ {2}1 +/m);
      expect(help).toMatch(/^ {2}2 +/m);
    }
    expect(complete.stdout).toMatch(/^ {2}130 +/m);
    for (const help of [complete.stdout, serve.stdout]) expect(help).toContain("-V, --version");
    expect(complete.stdout).toContain("completion-chain - [options]");
    expect(complete.stdout).toContain("at most 1 MiB");
    expect(complete.stdout).toContain("--timeout <s>");
    expect(serve.stdout).toContain("--client-timeout <s>");
    expect(serve.stdout).toContain("--grace <s>");
    expect(serve.stdout).toContain("--prompt <name>");
  });
});
