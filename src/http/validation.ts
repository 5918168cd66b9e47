/**
 * The request body of `POST /other/completion`, read as the Python original (FastAPI 0.92 on
 * pydantic 1.10, Python 3.10) reads it, with its 422 body rebuilt byte for byte.
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
 * - `pydantic/error_wrappers.py` `error_dict` (keys loc, msg, type, then ctx only when non-empty);
 *   `fastapi/exception_handlers.py` → `JSONResponse` → `json.dumps(..., ensure_ascii=False,
 *   allow_nan=False, separators=(",", ":"))`.
 *
 * Validated once: pydantic's validators only convert each value to its Python type here
 * (`pydantic.ts`); the converted values, renamed to `completion()` options, are judged by the
 * library's own validator, the one `completion()` uses. The split that remains is real: the body
 * coerces (`"0.5"`, `1`, `"yes"` are accepted, as they were), options are strict.
 */
import { TEMPERATURE_RANGE } from "../defaults.js";
import { type CompletionError, isCompletionError } from "../errors.js";
import { type BodyKey, type FieldOption, optionsFromBody, REQUEST_FIELDS } from "../fields.js";
import type { ModelRegistry } from "../models.js";
import type { ParsedCompletionOptions } from "../options.js";
import { parseCompletionOptions } from "../parse-options.js";
import { renderValidationBody, type ValidationIssue } from "./fastapi-detail.js";
import { CONVERTERS, type Problem, rangeProblem } from "./pydantic.js";
import { loadsPython, type PyValue } from "./python-json.js";
import { pyStrip, pythonFloatRepr } from "./python-numbers.js";

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

/**
 * What {@link parseCompletionBody} returns: the validated body, or the 422 to answer (FastAPI's
 * `detail` array, and the JSON body that renders it).
 */
export type BodyParseResult =
  | { ok: true; value: CompletionBody }
  | { ok: false; status: 422; body: string; detail: ValidationIssue[] };

/** Values a server gives absent (or `null`) body keys in place of the original's defaults. */
export type BodyDefaults = Partial<
  Pick<CompletionBody, "temperature" | "max_tokens" | "prompt_name" | "model_name">
>;

/**
 * A body read through: FastAPI's 422, or the body with the library's verdict on its values — the
 * parsed options, or the error for a rule the original did not have (a prompt name with a `/`).
 */
export type BodyReading =
  | Extract<BodyParseResult, { ok: false }>
  | { ok: true; value: CompletionBody; options: ParsedCompletionOptions | CompletionError };

const MISSING: Problem = { msg: "field required", type: "value_error.missing" };

/**
 * The one rule the original declared on its body — `temperature: confloat(ge=0.0, le=1.0)` — which
 * FastAPI enforced before the endpoint ran, in its own words. The library's validator judges the
 * value (by the same `TEMPERATURE_RANGE`); a breach is worded here as pydantic worded it.
 */
const DECLARED: Partial<Record<FieldOption, (value: unknown) => Problem>> = {
  temperature: (value) => rangeProblem(value as number, TEMPERATURE_RANGE),
};

/**
 * Validates a raw `POST /other/completion` body as FastAPI 0.92 + pydantic 1.10 would. Pure: no I/O,
 * never throws.
 *
 * @param text - the body decoded as UTF-8, `""` when empty. One leading BOM is dropped, as Python's
 *   `json.loads(bytes)` decodes with `utf-8-sig`.
 * @param contentType - the `content-type` header, or `null` when absent.
 * @param defaults - values for absent (or `null`) optional keys.
 * @defaultValue `defaults`: the original's (`defaults.ts`), and `model_name: null`
 * @returns the parsed body, or a 422 with `detail` and its exact JSON text.
 * @example
 * const r = parseCompletionBody('{"query":"hi"}', "application/json");
 * if (!r.ok) return new Response(r.body, { status: r.status, headers: { "content-type": "application/json" } });
 */
export function parseCompletionBody(
  text: string,
  contentType: string | null,
  defaults: BodyDefaults = {},
): BodyParseResult {
  const reading = readCompletionBody(text, contentType, defaults);
  return reading.ok ? { ok: true, value: reading.value } : reading;
}

/**
 * {@link parseCompletionBody}, plus the library's verdict on the values together with the server's
 * own options — what the handler runs with.
 *
 * @internal
 */
export function readCompletionBody(
  text: string,
  contentType: string | null,
  defaults: BodyDefaults = {},
  server: { models?: ModelRegistry; promptsDir?: string } = {},
): BodyReading {
  const received = receive(text, contentType);
  if ("issue" in received) return invalid([received.issue]);
  const values: Partial<Record<BodyKey, unknown>> = {};
  const problems = new Map<BodyKey, Problem>();
  const fromBody = new Set<BodyKey>();
  for (const field of REQUEST_FIELDS) {
    const body = received.body;
    if (body === "bytes" || (body.kind !== "none" && body.kind !== "dict")) {
      problems.set(field.body, MISSING); // bytes, list, str, number: no `.get` → AttributeError
      continue;
    }
    const value = body.kind === "dict" ? body.entries.get(field.body) : undefined;
    if (value === undefined || value.kind === "none") {
      if ("required" in field) problems.set(field.body, MISSING);
      else {
        const given = defaults[field.body as keyof BodyDefaults];
        values[field.body] = given === undefined ? field.default : given;
      }
      continue;
    }
    const converted = CONVERTERS[field.wire](value);
    if (converted.ok) {
      values[field.body] = converted.value;
      fromBody.add(field.body);
    } else problems.set(field.body, converted.problem);
  }
  const verdict = judge({ ...optionsFromBody(values), ...server });
  for (const issue of isCompletionError(verdict) ? (verdict.issues ?? []) : []) {
    const field = REQUEST_FIELDS.find(({ option }) => option === issue.path[0]);
    const declared = field && DECLARED[field.option];
    if (field && declared && fromBody.has(field.body) && !problems.has(field.body))
      problems.set(field.body, declared(values[field.body]));
  }
  if (problems.size > 0) {
    return invalid(
      REQUEST_FIELDS.flatMap(({ body }) => {
        const problem = problems.get(body);
        return problem === undefined ? [] : [{ loc: ["body", body], ...problem }];
      }),
    );
  }
  return { ok: true, value: values as unknown as CompletionBody, options: verdict };
}

/** `completion()`'s validator, its error returned rather than thrown. */
function judge(options: Record<string, unknown>): ParsedCompletionOptions | CompletionError {
  try {
    return parseCompletionOptions(options);
  } catch (error) {
    if (isCompletionError(error)) return error;
    throw error;
  }
}

/** The body as FastAPI hands it on: `bytes`, a JSON value (`None` when empty), or a decode error. */
function receive(
  text: string,
  contentType: string | null,
): { body: PyValue | "bytes" } | { issue: ValidationIssue } {
  if (text === "") return { body: { kind: "none" } };
  if (!isJsonContentType(contentType)) return { body: "bytes" };
  const parsed = loadsPython(text.startsWith("\ufeff") ? text.slice(1) : text);
  if (parsed.ok) return { body: parsed.value };
  const { message, msg, doc, pos, lineno, colno } = parsed.error;
  const ctx = { msg, doc, pos, lineno, colno };
  return { issue: { loc: ["body", pos], msg: message, type: "value_error.jsondecode", ctx } };
}

function invalid(detail: ValidationIssue[]): Extract<BodyParseResult, { ok: false }> {
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
