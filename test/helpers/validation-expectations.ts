/**
 * Reading what parseCompletionBody gave, and the pieces of FastAPI 0.92's answers, for the
 * http-validation-*.test.ts files.
 */
import { expect } from "vitest";
import {
  type BodyParseResult,
  parseCompletionBody,
  renderValidationBody,
} from "../../src/http/validation.js";
import { BODY_FIELDS } from "./body-fields.js";

export const missing = (field: string) =>
  `{"loc":["body","${field}"],"msg":"field required","type":"value_error.missing"}`;
export const ALL_MISSING = `{"detail":[${BODY_FIELDS.map(missing).join(",")}]}`;

/** The issues `{"query":"q","<field>":<json>}` is refused with (`false` if it is accepted). */
export function refusal(field: string, json: string) {
  const result = parseCompletionBody(`{"query":"q","${field}":${json}}`, null);
  return !result.ok && result.detail;
}

/** One issue about the body field `field`, with no ctx. */
export const issue = (field: string, msg: string, type: string) => ({
  loc: ["body", field],
  msg,
  type,
});

// Chatchat's declared defaults of every field but `query`, spelled out as a client would send them.
export const DEFAULTS =
  '"stream":false,"echo":false,"model_name":null,"temperature":0.7,"max_tokens":1024,"prompt_name":"default"';

export function body(result: BodyParseResult): string {
  if (result.ok) throw new Error(`expected a 422, got ${JSON.stringify(result.value)}`);
  expect(result.status).toBe(422);
  expect(result.body).toBe(renderValidationBody(result.detail));
  return result.body;
}

export function value(text: string) {
  const result = parseCompletionBody(text, "application/json");
  if (!result.ok) throw new Error(`expected a valid body, got ${result.body}`);
  return result.value;
}
