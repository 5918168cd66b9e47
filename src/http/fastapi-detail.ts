/**
 * FastAPI's 422 body, `{"detail": [...]}`, as its `JSONResponse` writes it.
 *
 * @packageDocumentation
 */

import { pythonFloatRepr } from "./python-numbers.js";

/** One entry of FastAPI's `detail` array. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
  ctx?: Record<string, unknown>;
}

/**
 * Renders FastAPI's `{"detail": [...]}` body with Python's compact `json.dumps` (non-ASCII kept).
 * Numbers: a number under the key `limit_value` is a Python float (this endpoint's `ge`/`le` bounds
 * are floats, so `1` prints `1.0`); any other number prints as an int when integral, else as a float.
 * Non-finite numbers print `null` (Python would fail with `allow_nan=False`).
 *
 * @param detail - the issues, in order; `ctx` is left out when absent or empty, as pydantic does.
 * @returns the exact response body text.
 * @example
 * renderValidationBody([{ loc: ["body", "prompt_name"], msg: "unknown prompt", type: "value_error" }]);
 * // '{"detail":[{"loc":["body","prompt_name"],"msg":"unknown prompt","type":"value_error"}]}'
 */
export function renderValidationBody(detail: ValidationIssue[]): string {
  const issues = detail.map(({ loc, msg, type, ctx }) => {
    const head = `{"loc":${render(loc)},"msg":${render(msg)},"type":${render(type)}`;
    const hasCtx = ctx !== undefined && Object.keys(ctx).length > 0;
    return hasCtx ? `${head},"ctx":${render(ctx)}}` : `${head}}`;
  });
  return `{"detail":[${issues.join(",")}]}`;
}

function render(value: unknown, asFloat = false): string {
  if (typeof value === "string") return JSON.stringify(value); // same escapes as ensure_ascii=False
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return "null";
    if (asFloat || !Number.isInteger(value)) return pythonFloatRepr(value);
    return BigInt(value).toString();
  }
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return `[${value.map((item) => render(item)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${render(v, k === "limit_value")}`).join(",")}}`;
  }
  return "null";
}
