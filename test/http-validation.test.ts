import { describe, expect, test } from "vitest";
import {
  type BodyParseResult,
  parseCompletionBody,
  pythonFloatRepr,
  renderValidationBody,
} from "../src/http/validation.js";
import { BODY_FIELDS } from "./helpers/body-fields.js";
import { seeded } from "./helpers/random.js";

// Every expected body below was produced by the Python stack itself (json.loads + pydantic 1.10
// fields built as FastAPI 0.92 builds them, rendered by JSONResponse's json.dumps settings).

const missing = (field: string) =>
  `{"loc":["body","${field}"],"msg":"field required","type":"value_error.missing"}`;
const ALL_MISSING = `{"detail":[${BODY_FIELDS.map(missing).join(",")}]}`;

/** The issues `{"query":"q","<field>":<json>}` is refused with (`false` if it is accepted). */
function refusal(field: string, json: string) {
  const result = parseCompletionBody(`{"query":"q","${field}":${json}}`, null);
  return !result.ok && result.detail;
}

/** One issue about the body field `field`, with no ctx. */
const issue = (field: string, msg: string, type: string) => ({ loc: ["body", field], msg, type });

// Chatchat's declared defaults of every field but `query`, spelled out as a client would send them.
const DEFAULTS =
  '"stream":false,"echo":false,"model_name":null,"temperature":0.7,"max_tokens":1024,"prompt_name":"default"';

function body(result: BodyParseResult): string {
  if (result.ok) throw new Error(`expected a 422, got ${JSON.stringify(result.value)}`);
  expect(result.status).toBe(422);
  expect(result.body).toBe(renderValidationBody(result.detail));
  return result.body;
}

function value(text: string) {
  const result = parseCompletionBody(text, "application/json");
  if (!result.ok) throw new Error(`expected a valid body, got ${result.body}`);
  return result.value;
}

describe("the body as FastAPI 0.92 validates it", () => {
  test("an empty body reports only the missing query, whatever the content type", () => {
    const expected = `{"detail":[${missing("query")}]}`;
    expect(body(parseCompletionBody("", null))).toBe(expected);
    expect(body(parseCompletionBody("", "text/plain"))).toBe(expected);
    expect(body(parseCompletionBody("{}", "application/json"))).toBe(expected);
  });

  test("a temperature above 1 gives FastAPI's exact not_le body with the limit as a float", () => {
    expect(body(parseCompletionBody('{"query":"x","temperature":1.5}', "application/json"))).toBe(
      '{"detail":[{"loc":["body","temperature"],"msg":"ensure this value is less than or equal to 1.0","type":"value_error.number.not_le","ctx":{"limit_value":1.0}}]}',
    );
  });

  test("a negative or NaN temperature fails the ge bound, which pydantic checks first", () => {
    const expected =
      '{"detail":[{"loc":["body","temperature"],"msg":"ensure this value is greater than or equal to 0.0","type":"value_error.number.not_ge","ctx":{"limit_value":0.0}}]}';
    expect(body(parseCompletionBody('{"query":"x", "temperature": -0.5}', null))).toBe(expected);
    expect(body(parseCompletionBody('{"query":"x","temperature":NaN}', null))).toBe(expected);
    expect(body(parseCompletionBody('{"query":"x","temperature":"-inf"}', null))).toBe(expected);
  });

  test("several bad fields give one entry each, in the order the endpoint declares them", () => {
    const text =
      '{"prompt_name":{},"max_tokens":"1.5","temperature":"hot","echo":2,"stream":"maybe","query":["a"]}';
    expect(body(parseCompletionBody(text, null))).toBe(
      '{"detail":[{"loc":["body","query"],"msg":"str type expected","type":"type_error.str"},{"loc":["body","stream"],"msg":"value could not be parsed to a boolean","type":"type_error.bool"},{"loc":["body","echo"],"msg":"value could not be parsed to a boolean","type":"type_error.bool"},{"loc":["body","temperature"],"msg":"value is not a valid float","type":"type_error.float"},{"loc":["body","max_tokens"],"msg":"value is not a valid integer","type":"type_error.integer"},{"loc":["body","prompt_name"],"msg":"str type expected","type":"type_error.str"}]}',
    );
  });

  test("a minimal body takes every default", () => {
    expect(value('{"query":"hi"}')).toEqual(JSON.parse(`{"query":"hi",${DEFAULTS}}`));
  });

  test("unknown keys are ignored", () => {
    expect(value('{"query":"hi","history":[1,2],"top_p":{"a":null}}').query).toBe("hi");
  });

  test("caller defaults replace the endpoint's defaults for absent keys only", () => {
    const result = parseCompletionBody('{"query":"q","temperature":0.2}', null, {
      temperature: 0.9,
      max_tokens: null,
      prompt_name: "chat",
      model_name: "gpt",
    });
    expect(result.ok && result.value).toMatchObject({
      temperature: 0.2,
      max_tokens: null,
      prompt_name: "chat",
      model_name: "gpt",
    });
  });
});

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

describe("null values, which FastAPI treats as absent before pydantic sees them", () => {
  test("a null query is reported as missing, not as a None error", () => {
    expect(body(parseCompletionBody('{"query":null}', null))).toBe(
      `{"detail":[${missing("query")}]}`,
    );
  });

  test("a null optional field takes its default, even where the type would accept None", () => {
    expect(
      value(
        '{"query":"q","stream":null,"echo":null,"model_name":null,"temperature":null,"max_tokens":null,"prompt_name":null}',
      ),
    ).toEqual(JSON.parse(`{"query":"q",${DEFAULTS}}`));
  });

  test("a JSON null body is the same as an empty body", () => {
    expect(body(parseCompletionBody("null", null))).toBe(`{"detail":[${missing("query")}]}`);
  });
});

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

describe("renderValidationBody", () => {
  test("renders issues found elsewhere with pydantic's key order and Python's number forms", () => {
    expect(
      renderValidationBody([
        { loc: ["body", "prompt_name"], msg: "unknown prompt «x»", type: "value_error", ctx: {} },
        {
          loc: ["body", 3],
          msg: "m",
          type: "t",
          ctx: { limit_value: 1, given: 2, ratio: 0.5, ok: true, none: null },
        },
      ]),
    ).toBe(
      '{"detail":[{"loc":["body","prompt_name"],"msg":"unknown prompt «x»","type":"value_error"},{"loc":["body",3],"msg":"m","type":"t","ctx":{"limit_value":1.0,"given":2,"ratio":0.5,"ok":true,"none":null}}]}',
    );
  });

  test.each([
    [1, "1.0"],
    [0, "0.0"],
    [-0, "-0.0"],
    [0.7, "0.7"],
    [100, "100.0"],
    [1e15, "1000000000000000.0"],
    [1e16, "1e+16"],
    [1.5e300, "1.5e+300"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [5e-324, "5e-324"],
    [123456789.125, "123456789.125"],
    [Number.NaN, "nan"],
    [-Infinity, "-inf"],
  ])("pythonFloatRepr(%s) is %j", (n, expected) => {
    expect(pythonFloatRepr(n)).toBe(expected);
  });
});

describe("random bodies", () => {
  const next = seeded(20240607);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const KEYS = [...BODY_FIELDS, "x"];
  const ATOMS = [
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1.0",
    "1e999",
    "NaN",
    "-Infinity",
    "0.5",
    "7",
  ];
  const STRINGS = ["", "yes", "0.3", " 12 ", "1_0", "😀", "é\\n", "\\ud83d", "inf", "Off"];

  function json(depth: number): string {
    const r = next();
    if (r < 0.3) return pick(ATOMS);
    if (r < 0.6) return `"${pick(STRINGS)}"`;
    if (r < 0.75 && depth < 4) {
      return `[${Array.from({ length: Math.floor(next() * 4) }, () => json(depth + 1)).join(",")}]`;
    }
    if (depth < 4) {
      const keys = KEYS.filter(() => next() < 0.5);
      return `{${keys.map((k) => `${pick(["", " ", "\n"])}"${k}":${json(depth + 1)}`).join(",")}}`;
    }
    return pick(ATOMS);
  }

  function mutate(text: string): string {
    const at = Math.floor(next() * (text.length + 1));
    const r = next();
    if (r < 0.3) return text.slice(0, at);
    if (r < 0.6) return text.slice(0, at) + text.slice(at + 1);
    return (
      text.slice(0, at) +
      pick(["{", "}", "[", "]", ",", ":", '"', "\\", "\t", "😀"]) +
      text.slice(at)
    );
  }

  test("2,000 random bodies never throw and always give a value or a well-formed 422", () => {
    let valid = 0;
    let rejected = 0;
    for (let i = 0; i < 2000; i++) {
      let text = json(0);
      if (next() < 0.4) text = mutate(text);
      const contentType = next() < 0.9 ? "application/json" : pick([null, "text/plain"]);
      const result = parseCompletionBody(text, contentType);
      if (result.ok) {
        valid++;
        expect(typeof result.value.query).toBe("string");
        expect(result.value.temperature).toBeGreaterThanOrEqual(0);
        expect(result.value.temperature).toBeLessThanOrEqual(1);
        continue;
      }
      rejected++;
      expect(result.status).toBe(422);
      const parsed = JSON.parse(result.body) as { detail: unknown[] };
      expect(Array.isArray(parsed.detail) && parsed.detail.length > 0).toBe(true);
      expect(result.detail.length).toBe(parsed.detail.length);
    }
    expect(valid).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });
});
