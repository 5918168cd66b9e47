/**
 * From a body read through to the options its run gets.
 *
 * @packageDocumentation
 */

import { CompletionError, isCompletionError } from "../errors.js";
import { configuredModelNames, type ModelRegistry, quoteName } from "../models.js";
import type { ParsedCompletionOptions } from "../options.js";
import type { BodyReading } from "./validation.js";

/**
 * The run's options: the library's verdict on the body, once the model is known to be configured.
 *
 * @param reading - the body, read through (see `readCompletionBody`)
 * @param models - the server's registry
 * @throws CompletionError `unknown_model` for a model the server does not configure (checked
 * first, as that is what the client most needs to hear), else the verdict's `invalid_options`
 * @example
 * ```ts
 * const options = runOptions(reading, { qwen: { baseURL: "http://127.0.0.1:8000/v1" } });
 * ```
 */
export function runOptions(
  reading: Extract<BodyReading, { ok: true }>,
  models: ModelRegistry | undefined,
): ParsedCompletionOptions {
  const model = reading.value.model_name;
  if (model !== null) checkConfigured(model, models);
  if (isCompletionError(reading.options)) throw reading.options;
  return reading.options;
}

/**
 * Over HTTP, only the configured names: a `provider:model` string (or any other name) would build
 * a model the operator never configured, with the server's own key.
 */
function checkConfigured(name: string, models: ModelRegistry | undefined): void {
  const names = configuredModelNames({ models });
  if (names.includes(name)) return;
  throw new CompletionError(
    "unknown_model",
    names.length > 0
      ? `No model named ${quoteName(name)} is configured; configured: ${names.join(", ")}`
      : `No model named ${quoteName(name)} is configured, and no endpoint is`,
    { issues: [{ path: ["model"], message: "not a configured model" }] },
  );
}
