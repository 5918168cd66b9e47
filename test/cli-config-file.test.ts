import { describe, expect, test } from "vitest";
import { locateJsonSyntaxError } from "../src/cli/json-syntax.js";

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
