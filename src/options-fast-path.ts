/**
 * The common case of option validation without zod.
 *
 * @packageDocumentation
 */

import { MAX_TIMEOUT_MS, PROMPT_NAME_PATTERN, TEMPERATURE_RANGE } from "./defaults.js";
import { isModelInstance } from "./models.js";
import type { CompletionOptions, ParsedCompletionOptions } from "./options.js";
import {
  checkedRegistries,
  isPromptTemplate,
  OPTION_NAMES,
  withDefaults,
} from "./options-schema.js";

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

const isStringArray = (value: unknown): boolean => {
  if (!Array.isArray(value)) return false;
  // Indexed, not every(): a hole reads as undefined and must fail, as it does in zod.
  for (let index = 0; index < value.length; index += 1) {
    if (typeof value[index] !== "string") return false;
  }
  return true;
};

const { min, max } = TEMPERATURE_RANGE;

/**
 * The common case without zod: options that are plainly valid get their defaults here; anything
 * else — every invalid value, an unseen registry, an unusual object — returns `undefined` and is
 * left to the schema, which alone words the errors. It accepts a subset of what the schema accepts
 * and returns what the schema would (test/options-fast-path.test.ts compares the two on random
 * options). Why: zod's `safeParse` of this 17-key schema is a noticeable share of a request's time to
 * first token; bench/README.md ("Profiling") says how it was measured and what it cost.
 *
 * @param input - anything passed as `completion()` options
 * @returns the options with their defaults, or `undefined` to leave them to the schema
 * @example
 * ```ts
 * parseCommonOptions({ query: "hi" })?.maxTokens; // 1024
 * parseCommonOptions({ query: "hi", temperature: 2 }); // undefined
 * ```
 * @internal exported for that test
 */
export function parseCommonOptions(input: unknown): ParsedCompletionOptions | undefined {
  if (!isPlainObject(input)) return undefined;
  for (const key of Object.keys(input)) if (!OPTION_NAMES.has(key)) return undefined;
  if (Object.getOwnPropertySymbols(input).length > 0) return undefined;
  const o = input as Record<keyof CompletionOptions, unknown>;
  const optional = (value: unknown, check: (value: unknown) => boolean) =>
    value === undefined || check(value);
  if (typeof o.query !== "string") return undefined;
  if (!optional(o.stream, (v) => typeof v === "boolean")) return undefined;
  if (!optional(o.echo, (v) => typeof v === "boolean")) return undefined;
  if (
    !optional(o.model, (v) => (typeof v === "string" ? v.length > 0 : isModelInstance(v))) ||
    !optional(o.temperature, (v) => typeof v === "number" && v >= min && v <= max) ||
    !optional(o.maxTokens, (v) => v === null || Number.isSafeInteger(v)) ||
    !optional(o.promptName, (v) => typeof v === "string" && PROMPT_NAME_PATTERN.test(v)) ||
    !optional(o.prompt, (v) => typeof v === "string" || isPromptTemplate(v)) ||
    !optional(o.promptsDir, (v) => typeof v === "string" && v.length > 0) ||
    !optional(o.models, (v) => typeof v === "object" && v !== null && checkedRegistries.has(v)) ||
    !optional(o.signal, (v) => v instanceof AbortSignal) ||
    !optional(o.timeout, (v) => typeof v === "number" && v > 0 && v <= MAX_TIMEOUT_MS) ||
    !optional(o.callbacks, (v) => typeof v === "object" && v !== null) ||
    !optional(o.tags, isStringArray) ||
    !optional(
      o.metadata,
      (v) => isPlainObject(v) && Object.getOwnPropertySymbols(v).length === 0,
    ) ||
    !optional(o.runName, (v) => typeof v === "string")
  ) {
    return undefined;
  }
  return withDefaults(input as unknown as CompletionOptions);
}
