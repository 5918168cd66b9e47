/**
 * The request body of `POST /other/completion`, validated as the Python original (FastAPI 0.92 on
 * pydantic 1.10, Python 3.10) validates it, with its 422 body rebuilt byte for byte.
 *
 * Sources followed (FastAPI 0.92, pydantic 1.10.x as last released):
 * - `fastapi/routing.py` `get_request_handler`: an empty body is `None`; a body is parsed as JSON
 *   when there is no content-type or it is `application/json` or `application/*+json` (read through
 *   `email.message.Message`), else it stays `bytes`; a `JSONDecodeError` becomes one error at
 *   `("body", e.pos)` whose ctx is `e.__dict__`.
 * - `fastapi/dependencies/utils.py` `request_body_to_args`: `received_body.get(alias)`; an
 *   `AttributeError` (a body that is not a dict) appends "field required" for that field and moves on;
 *   a value that `is None` (absent *or* JSON `null`) is "field required" if the field is required,
 *   else the field's default — pydantic never sees a `None`.
 * - `pydantic/validators.py` `str_validator`, `bool_validator`, `int_validator`, `float_validator`,
 *   `number_size_validator`; `pydantic/error_wrappers.py` `error_dict` (keys loc, msg, type, then ctx
 *   only when non-empty); `fastapi/exception_handlers.py` → `JSONResponse` → `json.dumps(...,
 *   ensure_ascii=False, allow_nan=False, separators=(",", ":"))`.
 */
import { renderValidationBody, type ValidationIssue } from "./fastapi-detail.js";
import { loadsPython, type PyValue } from "./python-json.js";
import { codePointLength, pyFloat, pyInt, pyStrip, pythonFloatRepr } from "./python-numbers.js";

export type { ValidationIssue };
export { pythonFloatRepr, renderValidationBody };

/** The validated body, snake_case as on the wire. */
export interface CompletionBody {
  query: string;
  stream: boolean;
  echo: boolean;
  model_name: string | null;
  temperature: number;
  max_tokens: number | null;
  prompt_name: string;
}

export type BodyParseResult =
  | { ok: true; value: CompletionBody }
  | { ok: false; status: 422; body: string; detail: ValidationIssue[] };

type Problem = Omit<ValidationIssue, "loc">;
type Checked<T> = { ok: true; value: T } | { ok: false; problem: Problem };
type Kind = "str" | "bool" | "temperature" | "int";

const MISSING: Problem = { msg: "field required", type: "value_error.missing" };
const FIELDS: readonly { name: keyof CompletionBody; kind: Kind; required?: true }[] = [
  { name: "query", kind: "str", required: true },
  { name: "stream", kind: "bool" },
  { name: "echo", kind: "bool" },
  { name: "model_name", kind: "str" },
  { name: "temperature", kind: "temperature" },
  { name: "max_tokens", kind: "int" },
  { name: "prompt_name", kind: "str" },
];

/**
 * Validates a raw `POST /other/completion` body as FastAPI 0.92 + pydantic 1.10 would. Pure: no I/O,
 * never throws.
 *
 * @param text - the body decoded as UTF-8, `""` when empty. One leading BOM is dropped, as Python's
 *   `json.loads(bytes)` decodes with `utf-8-sig`.
 * @param contentType - the `content-type` header, or `null` when absent.
 * @param defaults - values for absent (or `null`) optional keys.
 * @defaultValue `defaults`: `{ model_name: null, temperature: 0.7, max_tokens: 1024, prompt_name: "default" }`
 * @returns the parsed body, or a 422 with `detail` and its exact JSON text.
 * @example
 * const r = parseCompletionBody('{"query":"hi"}', "application/json");
 * if (!r.ok) return new Response(r.body, { status: r.status, headers: { "content-type": "application/json" } });
 */
export function parseCompletionBody(
  text: string,
  contentType: string | null,
  defaults: Partial<
    Pick<CompletionBody, "temperature" | "max_tokens" | "prompt_name" | "model_name">
  > = {},
): BodyParseResult {
  let received: PyValue | "bytes" = { kind: "none" };
  if (text !== "") {
    if (!isJsonContentType(contentType)) received = "bytes";
    else {
      const parsed = loadsPython(text.startsWith("\ufeff") ? text.slice(1) : text);
      if (!parsed.ok) {
        const { message, msg, doc, pos, lineno, colno } = parsed.error;
        const ctx = { msg, doc, pos, lineno, colno };
        return invalid([{ loc: ["body", pos], msg: message, type: "value_error.jsondecode", ctx }]);
      }
      received = parsed.value;
    }
  }
  const fallback: Record<string, unknown> = {
    stream: false,
    echo: false,
    model_name: null,
    temperature: 0.7,
    max_tokens: 1024,
    prompt_name: "default",
  };
  for (const [key, given] of Object.entries(defaults))
    if (given !== undefined) fallback[key] = given;
  const values: Record<string, unknown> = {};
  const detail: ValidationIssue[] = [];
  for (const field of FIELDS) {
    const loc = ["body", field.name];
    if (received === "bytes" || (received.kind !== "none" && received.kind !== "dict")) {
      detail.push({ loc, ...MISSING }); // bytes, list, str, number: no `.get` → AttributeError
      continue;
    }
    const value = received.kind === "dict" ? received.entries.get(field.name) : undefined;
    if (value === undefined || value.kind === "none") {
      if (field.required) detail.push({ loc, ...MISSING });
      else values[field.name] = fallback[field.name];
      continue;
    }
    const checked = VALIDATORS[field.kind](value);
    if (checked.ok) values[field.name] = checked.value;
    else detail.push({ loc, ...checked.problem });
  }
  if (detail.length > 0) return invalid(detail);
  return { ok: true, value: values as unknown as CompletionBody };
}

function invalid(detail: ValidationIssue[]): BodyParseResult {
  return { ok: false, status: 422, body: renderValidationBody(detail), detail };
}

/**
 * `email.message.Message.get_content_maintype()`/`get_content_subtype()`: the part before the first
 * `;`, stripped and lower-cased; anything without exactly one `/` counts as `text/plain`.
 */
function isJsonContentType(value: string | null): boolean {
  if (!value) return true; // `if not content_type_value:` — absent or empty
  const parts = pyStrip(value.split(";")[0] as string)
    .toLowerCase()
    .split("/");
  if (parts.length !== 2 || parts[0] !== "application") return false;
  const subtype = parts[1] as string;
  return subtype === "json" || subtype.endsWith("+json");
}

const VALIDATORS: Record<Kind, (v: PyValue) => Checked<unknown>> = {
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
  // confloat(ge=0.0, le=1.0): float_validator, then number_size_validator (`not v >= ge` first,
  // so NaN fails ge; then `not v <= le`); allow_inf_nan defaults to True.
  temperature(v) {
    let n: number | undefined;
    if (v.kind === "float") n = v.value;
    else if (v.kind === "bool") n = v.value ? 1 : 0;
    // float(int) raises OverflowError past 1.8e308, which float_validator does not catch (a 500 in
    // the original); reported here as the type error it really is.
    else if (v.kind === "int" && Number.isFinite(v.value)) n = v.value;
    else if (v.kind === "str") n = pyFloat(v.value);
    if (n === undefined) return fail("value is not a valid float", "type_error.float");
    if (!(n >= 0)) return bound("greater than or equal to", "value_error.number.not_ge", 0);
    if (!(n <= 1)) return bound("less than or equal to", "value_error.number.not_le", 1);
    return ok(n);
  },
};

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = (msg: string, type: string): Checked<never> => ({ ok: false, problem: { msg, type } });
const bound = (words: string, type: string, limit: number): Checked<never> => ({
  ok: false,
  problem: {
    msg: `ensure this value is ${words} ${pythonFloatRepr(limit)}`,
    type,
    ctx: { limit_value: limit },
  },
});

const BOOL_TRUE = new Set<unknown>([1, "1", "on", "t", "true", "y", "yes"]);
const BOOL_FALSE = new Set<unknown>([0, "0", "off", "f", "false", "n", "no"]);
