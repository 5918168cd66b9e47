import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CliError } from "../src/cli/cli-error.js";
import { loadConfigFile } from "../src/cli/config-file.js";
import { locateJsonSyntaxError } from "../src/cli/json-syntax.js";

describe("a --config file's unknown keys", () => {
  /** The usage error `loadConfigFile` gives for a file holding `json`, without its path. */
  async function refusal(json: unknown): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "completion-chain-config-"));
    try {
      const path = join(dir, "models.json");
      await writeFile(path, JSON.stringify(json));
      const error = await loadConfigFile(path).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(2);
      return (error as CliError).message.replace(`--config ${path}: `, "");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  test("are named with the nearest known key, and one shaped like an API key is blanked", async () => {
    expect(
      await Promise.all([
        refusal({ models: { local: { base_url: "http://127.0.0.1:1/v1" } } }),
        refusal({ local: { baseUrl: "http://127.0.0.1:1/v1", api_key: "sk-SECRET-000" } }),
        refusal({ models: { local: { colour: "blue" } } }),
        refusal({ models: { local: { "sk-SECRET-KEY-1234": true } } }),
      ]),
    ).toEqual([
      'models.local: unknown key "base_url"; did you mean "baseURL"?',
      'local: unknown keys "baseUrl" (did you mean "baseURL"?), "api_key" (did you mean "apiKey"?)',
      'models.local: unknown key "colour"',
      'models.local: unknown key "sk-***"',
    ]);
  });
});

describe("locating a JSON syntax error", () => {
  const samples = [
    '{\n  "a": nope\n}',
    '{"a": 1,}',
    '{"a": "sk-SECRET"',
    "[1 2]",
    '{"a":"x\n"}',
    "tru",
    "{} x",
    '{"a":01}',
    '{"a": "\\x"}',
    '{"a": "\\u12G4"}',
    "-",
    "1.",
    "1e+",
    '{"a" 1}',
    "",
    '{"ok": [1, -2.5e3, true, false, null, "é\\n\\u00e9", {}]}',
    "  [ ]  ",
  ];

  test("it agrees with JSON.parse on which texts are valid JSON", () => {
    for (const text of samples) {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect(locateJsonSyntaxError(text) === undefined, text).toBe(valid);
    }
  });

  test("it gives the line and column of the first error, as 1-based numbers", () => {
    expect(locateJsonSyntaxError('{\n  "a": nope\n}')).toEqual({ line: 2, column: 8 });
    expect(locateJsonSyntaxError('{"a": 1,}')).toEqual({ line: 1, column: 9 });
    expect(locateJsonSyntaxError('{"a": "sk-SECRET"')).toEqual({ line: 1, column: 18 });
    expect(locateJsonSyntaxError("{} x")).toEqual({ line: 1, column: 4 });
  });
});
