import { describe, expect, test } from "vitest";
import { issue, refusal, value } from "./helpers/validation-expectations.js";

// Every expected body below was produced by the Python stack itself (json.loads + pydantic 1.10
// fields built as FastAPI 0.92 builds them, rendered by JSONResponse's json.dumps settings).

describe("pydantic 1.10 coercions", () => {
  test.each([
    ['"x"', "x"],
    ["1", "1"],
    ["-0", "0"],
    ["1.0", "1.0"],
    ["1e20", "1e+20"],
    ["1e16", "1e+16"],
    ["1e15", "1000000000000000.0"],
    ["0.00001", "1e-05"],
    ["12345678901234567890", "12345678901234567890"],
    ["true", "True"],
    ["false", "False"],
    ["NaN", "nan"],
    ["-Infinity", "-inf"],
  ])("a str field turns the JSON value %s into %j", (json, expected) => {
    expect(value(`{"query":${json},"prompt_name":${json},"model_name":${json}}`)).toMatchObject({
      query: expected,
      prompt_name: expected,
      model_name: expected,
    });
  });

  test.each([
    ["true", true],
    ["false", false],
    ["1", true],
    ["0", false],
    ["-0", false],
    ["1.0", true],
    ["-0.0", false],
    ["1e0", true],
    ['"YES"', true],
    ['"on"', true],
    ['"T"', true],
    ['"y"', true],
    ['"1"', true],
    ['"No"', false],
    ['"OFF"', false],
    ['"f"', false],
    ['"0"', false],
  ])("a bool field accepts %s as %s", (json, expected) => {
    expect(value(`{"query":"q","stream":${json},"echo":${json}}`)).toMatchObject({
      stream: expected,
      echo: expected,
    });
  });

  test.each(["2", "0.5", '"maybe"', '" yes"', '""', "[]", "{}", "NaN"])(
    "a bool field refuses %s",
    (json) => {
      expect(refusal("stream", json)).toEqual([
        issue("stream", "value could not be parsed to a boolean", "type_error.bool"),
      ]);
    },
  );

  // What the float field (temperature) and the int field (max_tokens) read, each value with every
  // JSON text that reads as it.
  const READS: [field: "temperature" | "max_tokens", reads: number, jsons: string[]][] = [
    ["temperature", 0, ["0"]],
    ["temperature", 1, ["1", "true", '"1_0e-1"']],
    ["temperature", 0.25, ["0.25"]],
    ["temperature", 0.5, ['"0.5"', '" 0.5\\n"', '".5"', '"5e-1"', '"\\u0660.\\u0665"']],
    ["max_tokens", 7, ["7"]],
    ["max_tokens", -3, ["-3"]],
    ["max_tokens", 1, ["1.9", "true"]],
    ["max_tokens", -1, ["-1.9"]],
    ["max_tokens", 1000, ["1e3", '"+1_000"']],
    ["max_tokens", 0, ["false", '"-0"']],
    ["max_tokens", 42, ['" 42 "', '"\\u0664\\u0662"']],
  ];
  test.each(
    READS.flatMap(([field, reads, jsons]) => jsons.map((json) => [field, json, reads] as const)),
  )("the %s field reads %s as %s", (field, json, expected) => {
    expect(value(`{"query":"q","${field}":${json}}`)[field]).toBe(expected);
  });

  test.each(['"hot"', '"1__0"', '"_1"', '"0x1"', '"1e"', '""', "[]", "{}"])(
    "a float field refuses %s as not a valid float",
    (json) => {
      const [first] = refusal("temperature", json) || [];
      expect(first?.type).toBe("type_error.float");
    },
  );

  test("an int literal too large for a float is not a valid float (the original answered 500)", () => {
    expect(refusal("temperature", `1${"0".repeat(400)}`)).toEqual([
      issue("temperature", "value is not a valid float", "type_error.float"),
    ]);
  });

  test.each(['"1.5"', '"1e3"', '"1__0"', '"- 1"', '""', "NaN", "Infinity", "1e999", "[]", "{}"])(
    "an int field refuses %s as not a valid integer",
    (json) => {
      expect(refusal("max_tokens", json)).toEqual([
        issue("max_tokens", "value is not a valid integer", "type_error.integer"),
      ]);
    },
  );
});
