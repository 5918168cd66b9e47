import { describe, expect, test } from "vitest";
import { parseCompletionBody } from "../src/http/validation.js";
import { ALL_MISSING, body, value } from "./helpers/validation-expectations.js";

// Every expected body below was produced by the Python stack itself (json.loads + pydantic 1.10
// fields built as FastAPI 0.92 builds them, rendered by JSONResponse's json.dumps settings).

describe("bodies that are not a JSON object", () => {
  test.each(["[1,2]", "[]", '"query"', "42", "1.5", "true"])(
    "the body %s has no keys to read, so every field is reported missing",
    (text) => {
      expect(body(parseCompletionBody(text, "application/json"))).toBe(ALL_MISSING);
    },
  );

  test.each([
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "text/json",
    "application/json5",
    "application/ json",
    "application/json/x",
    "application",
  ])("a JSON body sent as %s stays raw bytes, so every field is missing", (contentType) => {
    expect(body(parseCompletionBody('{"query":"x"}', contentType))).toBe(ALL_MISSING);
  });

  test.each([
    null,
    "",
    "application/json",
    "Application/JSON; charset=UTF-8",
    "  application/json  ;x=1",
    "application/vnd.api+json",
    "application/merge-patch+json",
  ])("the content type %j is read as JSON", (contentType) => {
    expect(parseCompletionBody('{"query":"x"}', contentType).ok).toBe(true);
  });

  test("a leading BOM is dropped, as json.loads does for UTF-8 bytes", () => {
    expect(value('\ufeff{"query":"x"}').query).toBe("x");
  });
});

describe("bodies that are not valid JSON", () => {
  test.each([
    [
      "a missing value is reported at its character offset with Python's message",
      '{"query": }',
      "application/json",
      '{"detail":[{"loc":["body",10],"msg":"Expecting value: line 1 column 11 (char 10)","type":"value_error.jsondecode","ctx":{"msg":"Expecting value","doc":"{\\"query\\": }","pos":10,"lineno":1,"colno":11}}]}',
    ],
    [
      "a trailing comma in an object asks for a property name",
      '{"query":"x",}',
      null,
      '{"detail":[{"loc":["body",13],"msg":"Expecting property name enclosed in double quotes: line 1 column 14 (char 13)","type":"value_error.jsondecode","ctx":{"msg":"Expecting property name enclosed in double quotes","doc":"{\\"query\\":\\"x\\",}","pos":13,"lineno":1,"colno":14}}]}',
    ],
    [
      "an unterminated string is reported at its opening quote",
      '{"query":"abc',
      null,
      '{"detail":[{"loc":["body",9],"msg":"Unterminated string starting at: line 1 column 10 (char 9)","type":"value_error.jsondecode","ctx":{"msg":"Unterminated string starting at","doc":"{\\"query\\":\\"abc","pos":9,"lineno":1,"colno":10}}]}',
    ],
    [
      "text after the object is extra data",
      '{"query":"x"} x',
      null,
      '{"detail":[{"loc":["body",14],"msg":"Extra data: line 1 column 15 (char 14)","type":"value_error.jsondecode","ctx":{"msg":"Extra data","doc":"{\\"query\\":\\"x\\"} x","pos":14,"lineno":1,"colno":15}}]}',
    ],
    [
      "offsets count code points, so an emoji before the error counts once, and non-ASCII is kept",
      '{"query":"héllo 😀😀", x}',
      null,
      '{"detail":[{"loc":["body",21],"msg":"Expecting property name enclosed in double quotes: line 1 column 22 (char 21)","type":"value_error.jsondecode","ctx":{"msg":"Expecting property name enclosed in double quotes","doc":"{\\"query\\":\\"héllo 😀😀\\", x}","pos":21,"lineno":1,"colno":22}}]}',
    ],
    [
      "a multi-line body reports the line and the column within it",
      '{\n  "query": "x",\n  "stream": tru\n}',
      null,
      '{"detail":[{"loc":["body",30],"msg":"Expecting value: line 3 column 13 (char 30)","type":"value_error.jsondecode","ctx":{"msg":"Expecting value","doc":"{\\n  \\"query\\": \\"x\\",\\n  \\"stream\\": tru\\n}","pos":30,"lineno":3,"colno":13}}]}',
    ],
  ])("%s", (_name, text, contentType, expected) => {
    expect(body(parseCompletionBody(text, contentType))).toBe(expected);
  });

  // Python's json.loads messages, each with the bodies that fail with it and the offset it reports.
  const DECODE_ERRORS: [msg: string, failures: [text: string, pos: number][]][] = [
    ["Invalid \\escape", [['{"query":"a\\qb"}', 11]]],
    ["Invalid \\uXXXX escape", [['{"query":"\\u12G4"}', 11]]],
    ["Invalid control character at", [['{"query":"a\tb"}', 11]]],
    ["Expecting ':' delimiter", [['{"query" "x"}', 9]]],
    [
      "Expecting ',' delimiter",
      [
        ['{"query":"x"', 12],
        ['{"query":"x" "stream":true}', 13],
      ],
    ],
    [
      "Expecting value",
      [
        ["[1,]", 3],
        [" ", 1],
        ["-Inf", 0],
        ["\ufeff", 0],
      ],
    ],
    ["Expecting property name enclosed in double quotes", [["{", 1]]],
    ["Extra data", [["01", 1]]],
  ];
  test.each(
    DECODE_ERRORS.flatMap(([msg, failures]) =>
      failures.map(([text, pos]) => [text, msg, pos] as const),
    ),
  )("the body %j fails with %j at %i", (text, msg, pos) => {
    const result = parseCompletionBody(text, null);
    expect(!result.ok && result.detail[0]?.ctx).toMatchObject({ msg, pos });
    expect(!result.ok && result.detail[0]?.loc).toEqual(["body", pos]);
  });

  test("Python's NaN and Infinity literals are accepted as JSON numbers", () => {
    expect(value('{"query":NaN,"prompt_name":Infinity,"model_name":-Infinity}')).toMatchObject({
      query: "nan",
      prompt_name: "inf",
      model_name: "-inf",
    });
  });

  test("escaped surrogate pairs decode to one character", () => {
    expect(value('{"query":"\\ud83d\\ude00\\u00e9"}').query).toBe("😀é");
  });
});
