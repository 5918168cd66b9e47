/**
 * The pydantic 1.10 validators the original's body fields went through (`pydantic/validators.py`):
 * how a JSON value becomes a `str`, `bool`, `int` or `float`, and what each says when it cannot.
 * They convert; whether a converted value is acceptable is the library's rule (`options-schema.ts`).
 *
 * @packageDocumentation
 */

import type { WireType } from "../fields.js";
import type { ValidationIssue } from "./fastapi-detail.js";
import type { PyValue } from "./python-json.js";
import { codePointLength, pyFloat, pyInt, pythonFloatRepr } from "./python-numbers.js";

/** A `detail` entry without its `loc`. */
export type Problem = Omit<ValidationIssue, "loc">;
export type Converted = { ok: true; value: unknown } | { ok: false; problem: Problem };

const ok = (value: unknown): Converted => ({ ok: true, value });
const fail = (msg: string, type: string): Converted => ({ ok: false, problem: { msg, type } });

const BOOL_TRUE = new Set<unknown>([1, "1", "on", "t", "true", "y", "yes"]);
const BOOL_FALSE = new Set<unknown>([0, "0", "off", "f", "false", "n", "no"]);

/** Each wire type's validator: a JSON value in, the Python value (or pydantic's error) out. */
export const CONVERTERS: Record<WireType, (v: PyValue) => Converted> = {
  // str_validator: str as is; int and float (bool is an int) through str(); else StrError.
  str(v) {
    if (v.kind === "str") return ok(v.value);
    if (v.kind === "int") return ok(v.text);
    if (v.kind === "float") return ok(pythonFloatRepr(v.value));
    if (v.kind === "bool") return ok(v.value ? "True" : "False");
    return fail("str type expected", "type_error.str");
  },
  // bool_validator: `v in BOOL_TRUE/BOOL_FALSE` after str.lower(); a Python set finds 1.0 and -0.0
  // as 1 and 0, and a JS Set compares numbers the same way (SameValueZero).
  bool(v) {
    if (v.kind === "bool") return ok(v.value);
    const key = v.kind === "str" ? v.value.toLowerCase() : "value" in v ? v.value : undefined;
    if (BOOL_TRUE.has(key)) return ok(true);
    if (BOOL_FALSE.has(key)) return ok(false);
    return fail("value could not be parsed to a boolean", "type_error.bool");
  },
  // int_validator (1.10.2+): int as is; else int(v), catching TypeError/ValueError/OverflowError;
  // a str longer than 4300 characters is refused before int() (CVE-2020-10735).
  int(v) {
    let n: number | undefined;
    if (v.kind === "int") n = v.value;
    else if (v.kind === "bool") n = v.value ? 1 : 0;
    else if (v.kind === "float" && Number.isFinite(v.value)) n = Math.trunc(v.value) || 0;
    else if (v.kind === "str" && codePointLength(v.value) <= 4300) n = pyInt(v.value);
    return n === undefined ? fail("value is not a valid integer", "type_error.integer") : ok(n);
  },
  // float_validator; allow_inf_nan defaults to True.
  float(v) {
    let n: number | undefined;
    if (v.kind === "float") n = v.value;
    else if (v.kind === "bool") n = v.value ? 1 : 0;
    // float(int) raises OverflowError past 1.8e308, which float_validator does not catch (a 500 in
    // the original); reported here as the type error it really is.
    else if (v.kind === "int" && Number.isFinite(v.value)) n = v.value;
    else if (v.kind === "str") n = pyFloat(v.value);
    return n === undefined ? fail("value is not a valid float", "type_error.float") : ok(n);
  },
};

/**
 * pydantic's `number_size_validator` message for a number outside `[min, max]`: it tests
 * `not v >= ge` first, so NaN breaks the lower bound.
 *
 * @param n - a number the range refused
 * @param range - the range, both ends included
 * @example
 * ```ts
 * rangeProblem(1.5, { min: 0, max: 1 }).msg; // "ensure this value is less than or equal to 1.0"
 * ```
 */
export function rangeProblem(n: number, range: { min: number; max: number }): Problem {
  const [words, type, limit] = !(n >= range.min)
    ? ["greater than or equal to", "value_error.number.not_ge", range.min]
    : ["less than or equal to", "value_error.number.not_le", range.max];
  return {
    msg: `ensure this value is ${words} ${pythonFloatRepr(limit)}`,
    type,
    ctx: { limit_value: limit },
  };
}
