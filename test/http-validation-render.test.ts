import { describe, expect, test } from "vitest";
import { pythonFloatRepr, renderValidationBody } from "../src/http/validation.js";

// Every expected body below was produced by the Python stack itself (json.loads + pydantic 1.10
// fields built as FastAPI 0.92 builds them, rendered by JSONResponse's json.dumps settings).

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
