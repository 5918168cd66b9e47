/**
 * Validating `completion()` options: the fast path for plainly valid options
 * (`options-fast-path.ts`), the schema for everything else (`options-schema.ts`).
 *
 * @packageDocumentation
 */

import type { ParsedCompletionOptions } from "./options.js";
import { parseCommonOptions } from "./options-fast-path.js";
import { parseWithSchema } from "./options-schema.js";

/**
 * Validates `completion()` options and applies the defaults: the fast path for the common case,
 * the schema (which alone words errors) for everything else.
 *
 * @param input - anything passed as `completion()` options
 * @throws CompletionError `invalid_options`, naming the field: "`temperature` must be between 0 and
 * 1, got 1.5"
 * @example
 * ```ts
 * parseCompletionOptions({ query: "hi" }).promptName; // "default"
 * ```
 */
export function parseCompletionOptions(input: unknown): ParsedCompletionOptions {
  return parseCommonOptions(input) ?? parseWithSchema(input);
}
