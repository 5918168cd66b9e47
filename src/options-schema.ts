/**
 * The rules every option must meet, as one zod schema, and the messages that name the field when
 * one does not. The HTTP endpoint has its bodies judged by them too (`http/validation.ts`), so a
 * value is accepted or refused by the same rule whichever door it came in by.
 *
 * @packageDocumentation
 */

import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { BasePromptTemplate } from "@langchain/core/prompts";
import { z } from "zod";
import type { CompletionModel } from "./chain-options.js";
import {
  DEFAULT_ECHO,
  DEFAULT_MAX_TOKENS,
  DEFAULT_PROMPT_NAME,
  DEFAULT_STREAM,
  DEFAULT_TEMPERATURE,
  MAX_TIMEOUT_MS,
  PROMPT_NAME_PATTERN,
  TEMPERATURE_RANGE,
} from "./defaults.js";
import { CompletionError } from "./errors.js";
import { REQUEST_FIELDS } from "./fields.js";
import { hasCredentials, isModelInstance, type ModelRegistry } from "./models.js";
import type { CompletionOptions, ParsedCompletionOptions } from "./options.js";
import { isUnprintedField } from "./secrets.js";
import { suggest } from "./suggest.js";

/** True for a `PromptTemplate` (or anything that formats like one), from any copy of LangChain. */
export const isPromptTemplate = (value: unknown): value is BasePromptTemplate =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as BasePromptTemplate).format === "function" &&
  Array.isArray((value as BasePromptTemplate).inputVariables);

const modelConfig = z.strictObject({
  kind: z.enum(["completion", "chat"]).optional(),
  model: z.string().min(1).optional(),
  baseURL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .refine((url) => !hasCredentials(url), {
      error:
        "must not contain user:password@ — put the key in `apiKey`; it is sent as a bearer token",
    })
    .optional(),
  apiKey: z.string().optional(),
  maxRetries: z.number().int().min(0).optional(),
  timeout: z.number().positive().max(MAX_TIMEOUT_MS).optional(),
  modelKwargs: z.record(z.string(), z.unknown()).optional(),
});

/** Every key of a registry entry, for "did you mean …?". */
export const MODEL_CONFIG_KEYS: readonly string[] = Object.keys(modelConfig.shape);

/** The registry's schema, shared with the config-file loader. */
export const modelRegistrySchema = z.record(z.string().min(1), modelConfig);

const { min, max } = TEMPERATURE_RANGE;
const schema = z.strictObject({
  query: z.string({ error: "is required and must be a string" }),
  stream: z.boolean({ error: "must be a boolean" }).optional(),
  echo: z.boolean({ error: "must be a boolean" }).optional(),
  model: z
    .union([z.string().min(1), z.custom<CompletionModel>(isModelInstance)], {
      error: "must be a model name or a LangChain model instance",
    })
    .optional(),
  temperature: z
    .number({ error: "must be a number" })
    .min(min, { error: `must be between ${min} and ${max}` })
    .max(max, { error: `must be between ${min} and ${max}` })
    .optional(),
  maxTokens: z
    .number({ error: "must be an integer or null" })
    .int({ error: "must be an integer" })
    .nullable()
    .optional(),
  promptName: z
    .string({ error: "must be a string" })
    .regex(PROMPT_NAME_PATTERN, { error: "must be a plain name matching [A-Za-z0-9_-]+" })
    .optional(),
  prompt: z
    .union([z.string(), z.custom<BasePromptTemplate>(isPromptTemplate)], {
      error: "must be template text or a PromptTemplate",
    })
    .optional(),
  promptsDir: z.string().min(1).optional(),
  models: modelRegistrySchema.optional(),
  signal: z
    .custom<AbortSignal>((value) => value instanceof AbortSignal, {
      error: "must be an AbortSignal",
    })
    .optional(),
  timeout: z
    .number({ error: "must be a number of milliseconds" })
    .positive({ error: "must be a positive number of milliseconds" })
    .max(MAX_TIMEOUT_MS, { error: `must be at most ${MAX_TIMEOUT_MS} ms` })
    .optional(),
  callbacks: z.custom<Callbacks>((value) => typeof value === "object" && value !== null).optional(),
  tags: z.array(z.string()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  runName: z.string().optional(),
});

/** Every option name. */
export const OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(schema.shape));

/**
 * Registries already validated. A registry is usually one object passed to every call; it is
 * checked once (its URL checks are a per-request cost otherwise; `bench/profile/` shows it), and
 * changing an entry in place afterwards is not re-validated.
 */
export const checkedRegistries = new WeakSet<object>();
const schemaWithoutRegistry = schema.extend({
  models: z.custom<ModelRegistry>(() => true).optional(),
});

/**
 * Valid options with their defaults applied — the one place that does, for the schema and the
 * fast path alike. `maxTokens` becomes what the model gets: `null` or `<= 0` → `undefined`, not sent.
 *
 * @param options - options that passed validation
 * @example
 * ```ts
 * withDefaults({ query: "hi", maxTokens: -1 }); // { query: "hi", maxTokens: undefined, temperature: 0.7, … }
 * ```
 */
export function withDefaults(options: CompletionOptions): ParsedCompletionOptions {
  const maxTokens = options.maxTokens === undefined ? DEFAULT_MAX_TOKENS : options.maxTokens;
  return {
    ...options,
    stream: options.stream ?? DEFAULT_STREAM,
    echo: options.echo ?? DEFAULT_ECHO,
    temperature: options.temperature ?? DEFAULT_TEMPERATURE,
    promptName: options.promptName ?? DEFAULT_PROMPT_NAME,
    maxTokens: maxTokens === null || maxTokens <= 0 ? undefined : maxTokens,
  };
}

function describe(value: unknown, path: readonly PropertyKey[] = []): string {
  if (path.some((key) => isUnprintedField(String(key)))) {
    return typeof value === "string"
      ? `a string of ${value.length} characters`
      : `a ${typeof value}`;
  }
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null)
    return String(value);
  if (value === undefined) return "nothing";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) current = (current as Record<PropertyKey, unknown> | undefined)?.[key];
  return current;
}

/**
 * "unknown option `max_tokens`; did you mean `maxTokens`?" (an HTTP body key gets its option's name:
 * `model_name` → `model`), or for a registry entry "`models.m` has
 * an unknown key `base_url`; did you mean `baseURL`?". The only other objects the schema checks the
 * keys of are registry entries.
 */
function unknownKeys(keys: readonly string[], path: readonly PropertyKey[]): string {
  const known = path.length === 0 ? OPTION_NAMES : MODEL_CONFIG_KEYS;
  const named = keys.map((key) => {
    // The HTTP body's names (`model_name`) are the likeliest slip of all.
    const option = path.length === 0 ? REQUEST_FIELDS.find(({ body }) => body === key) : undefined;
    const near = option?.option ?? suggest(key, known);
    return { key: `\`${key}\``, hint: near === undefined ? "" : `did you mean \`${near}\`?` };
  });
  const what = path.length === 0 ? "unknown option" : `\`${path.join(".")}\` has an unknown key`;
  if (named.length === 1) {
    const [{ key, hint }] = named as [(typeof named)[number]];
    return `${what} ${key}${hint === "" ? "" : `; ${hint}`}`;
  }
  const list = named.map(({ key, hint }) => (hint === "" ? key : `${key} (${hint})`)).join(", ");
  return path.length === 0
    ? `unknown options ${list}`
    : `\`${path.join(".")}\` has unknown keys ${list}`;
}

/**
 * Validates options with the schema: every input, and the only path that words errors.
 *
 * @param input - anything passed as `completion()` options
 * @throws CompletionError `invalid_options`, its message naming the first bad field and its
 * `issues` listing them all: "`temperature` must be between 0 and 1, got 1.5"
 * @example
 * ```ts
 * parseWithSchema({ query: "hi" }).temperature; // 0.7
 * ```
 * @internal exported for test/options-fast-path.test.ts
 */
export function parseWithSchema(input: unknown): ParsedCompletionOptions {
  const models = (input as { models?: unknown } | null)?.models;
  const registryChecked =
    typeof models === "object" && models !== null && checkedRegistries.has(models);
  const result = (registryChecked ? schemaWithoutRegistry : schema).safeParse(input);
  if (result.success && typeof models === "object" && models !== null)
    checkedRegistries.add(models);
  if (!result.success) {
    const issues = result.error.issues;
    const first = issues[0];
    const path = first?.path ?? [];
    const field = path.length > 0 ? path.join(".") : "options";
    const message =
      first?.code === "unrecognized_keys"
        ? unknownKeys(first.keys as string[], path)
        : `\`${field}\` ${first?.message ?? "is invalid"}, got ${describe(valueAt(input, path), path)}`;
    throw new CompletionError("invalid_options", message, {
      issues: issues.map((issue) => ({
        path: issue.path,
        message: issue.message,
        code: issue.code,
      })),
    });
  }
  return withDefaults(result.data as CompletionOptions);
}
