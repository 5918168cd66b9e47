import { parseArgs } from "node:util";
import { describe, expect, test } from "vitest";
import { CliError } from "../src/cli/cli-error.js";
import { completionOptionsFromFlags } from "../src/cli/complete.js";
import { joinNegativeNumbers, parseFailure, secondsFlag } from "../src/cli/flags.js";
import { serveOptionsFromFlags } from "../src/cli/serve.js";

/** The usage error `run` throws: its message, and exit code 2. */
function usage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return (error as CliError).message;
  }
  throw new Error("expected a usage error");
}

/** What the CLI says when `parseArgs` refuses `args`, given these flags. */
function refused(args: string[], flags: string[], query = true): string {
  const options = Object.fromEntries(flags.map((flag) => [flag, { type: "string" as const }]));
  return usage(() => {
    try {
      parseArgs({ args, options, allowPositionals: true });
    } catch (error) {
      parseFailure(error, flags, "--help", query);
    }
  });
}

describe("CLI flags", () => {
  test("an unknown flag is named with the nearest known flag: a misspelling, another case or separator style, or a field's option or body name", () => {
    const flags = ["max-tokens", "prompt", "model", "temperature", "prompts-dir"];
    const meant = (arg: string) =>
      /did you mean (--\S+)\?/.exec(refused(["hi", arg], flags))?.[1] ?? "none";
    expect(
      ["--max-token", "--max_tokens=5", "--maxTokens", "--MAX-TOKENS", "--temprature"].map(meant),
    ).toEqual(["--max-tokens", "--max-tokens", "--max-tokens", "--max-tokens", "--temperature"]);
    expect(["--prompt-name", "--promptName", "--model_name", "--prompt-dir"].map(meant)).toEqual([
      "--prompt",
      "--prompt",
      "--model",
      "--prompts-dir",
    ]);
    expect(["--colour", "-x", "--m"].map(meant)).toEqual(["none", "none", "none"]);
    expect(refused(["--max-token"], flags)).toBe(
      "unknown option --max-token; did you mean --max-tokens? (see --help)",
    );
    expect(refused(["-x"], flags)).toBe(
      'unknown option -x (see --help; a query that starts with "-" goes after --, as in -- "-x")',
    );
    expect(refused(["--colour"], flags, false)).toBe("unknown option --colour (see --help)");
    expect(refused(["--model"], flags)).toBe(
      "Option '--model <value>' argument missing (see --help)",
    );
  });

  test("a negative number after a numeric flag is joined to it, other dashes and anything after -- are left alone", () => {
    expect(
      joinNegativeNumbers(
        [
          "hi",
          "--max-tokens",
          "-3",
          "--temperature",
          "-.5",
          "--model",
          "-x",
          "--",
          "--timeout",
          "-1",
        ],
        ["max-tokens", "temperature", "timeout"],
      ),
    ).toEqual([
      "hi",
      "--max-tokens=-3",
      "--temperature=-.5",
      "--model",
      "-x",
      "--",
      "--timeout",
      "-1",
    ]);
    expect(joinNegativeNumbers(["--max-tokens", "--stream"], ["max-tokens"])).toEqual([
      "--max-tokens",
      "--stream",
    ]);
  });

  test("seconds flags take positive decimals and become milliseconds; anything else is a one-line usage error naming the flag", () => {
    expect(secondsFlag("1.5", "--timeout")).toBe(1500);
    expect(secondsFlag("0.0001", "--timeout")).toBe(1);
    expect(secondsFlag(undefined, "--timeout")).toBeUndefined();
    for (const bad of ["0", "-1", "", " ", "soon", "Infinity", "NaN"])
      expect(usage(() => secondsFlag(bad, "--grace"))).toBe(
        `--grace must be a positive number of seconds, got ${JSON.stringify(bad)}`,
      );
    expect(usage(() => secondsFlag("3000000", "--grace"))).toMatch(/^--grace must be at most/);
  });

  test("complete --timeout reaches completion() as milliseconds", () => {
    const options = completionOptionsFromFlags({ timeout: "2.5", stream: true }, ["hi"]);
    expect(options).toMatchObject({ query: "hi", stream: true, timeout: 2500 });
    expect(completionOptionsFromFlags({}, ["hi"])).not.toHaveProperty("timeout");
    expect(usage(() => completionOptionsFromFlags({ timeout: "-2" }, ["hi"]))).toContain(
      "--timeout",
    );
  });

  test("complete refuses --prompt together with --template, and anything but one query", () => {
    expect(
      usage(() => completionOptionsFromFlags({ prompt: "a", template: "{input}" }, ["hi"])),
    ).toMatch(/--prompt and --template/);
    expect(usage(() => completionOptionsFromFlags({}, []))).toMatch(/exactly one query/);
    expect(usage(() => completionOptionsFromFlags({}, ["a", "b"]))).toMatch(/exactly one query/);
  });

  test("serve's --timeout, --client-timeout and --grace reach serveCompletion as timeoutMs, clientTimeoutMs and graceMs, with the documented defaults", () => {
    expect(serveOptionsFromFlags({})).toEqual({
      host: "127.0.0.1",
      port: 7861,
      pingIntervalMs: 15_000,
      timeoutMs: 120_000,
      clientTimeoutMs: 60_000,
      graceMs: 10_000,
    });
    expect(
      serveOptionsFromFlags({
        timeout: "30",
        "client-timeout": "0.5",
        grace: "2.25",
        "ping-interval": "1",
        model: "qwen",
        prompt: "qa",
        "prompts-dir": "./prompts",
        cors: ["http://a.test", "*"],
        "no-playground": true,
      }),
    ).toMatchObject({
      timeoutMs: 30_000,
      clientTimeoutMs: 500,
      graceMs: 2250,
      pingIntervalMs: 1000,
      defaults: { model_name: "qwen", prompt_name: "qa" },
      promptsDir: "./prompts",
      corsOrigins: "*",
      playground: false,
    });
    expect(usage(() => serveOptionsFromFlags({ "client-timeout": "0" }))).toContain(
      "--client-timeout",
    );
    expect(usage(() => serveOptionsFromFlags({ port: "1.5" }))).toContain("--port");
  });
});
