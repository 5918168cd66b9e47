import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { BasePromptTemplate } from "@langchain/core/prompts";
import { z } from "zod";
import { CompletionError } from "./errors.js";
import type { CompletionModel } from "./chain.js";
import { hasCredentials, isModelInstance, type ModelRegistry } from "./models.js";
import { PROMPT_NAME_PATTERN } from "./prompts.js";
import { isUnprintedField } from "./secrets.js";

/** Options of `completion()`. Names are the Python original's, in camelCase. */
export interface CompletionOptions {
  /** The user's input, substituted for `{input}` in the template — literally, never re-parsed. */
  query: string;
  /**
   * `true` → an `AsyncIterable<string>` of tokens; otherwise a `Promise<string>` of the whole answer.
   * @defaultValue `false`
   */
  stream?: boolean;
  /** Output begins with the rendered prompt, for every kind of model. @defaultValue `false` */
  echo?: boolean;
  /**
   * A configured model name, a `provider:model` string for `initChatModel` (needs the optional
   * peer `langchain`), or any LangChain model instance or runnable wrapping one (`.withRetry()`,
   * `.withFallbacks()`), used as given: its own temperature and token limit apply.
   * @defaultValue the first configured model
   */
  model?: string | CompletionModel;
  /** Sampling temperature, 0 ≤ t ≤ 1. @defaultValue `0.7` */
  temperature?: number;
  /** Token limit; `null` or `<= 0` → not sent, so the endpoint uses the model's maximum. @defaultValue `1024` */
  maxTokens?: number | null;
  /** A template of category `completion`. @defaultValue `"default"` (`{input}`) */
  promptName?: string;
  /** Template text (f-string) or a `PromptTemplate` to use instead of a named one. */
  prompt?: string | BasePromptTemplate;
  /** A directory laid out like the bundled `prompts/`, overlaying it. */
  promptsDir?: string;
  /** Model name → endpoint; the first entry is the default model. */
  models?: ModelRegistry;
  /** Aborts the upstream request at once. */
  signal?: AbortSignal;
  /**
   * Milliseconds the run may wait on the model endpoint — for the response headers, the first
   * token, and each gap between chunks — before it fails with `upstream_timeout`. Counted only
   * while the run waits on the endpoint, never while the consumer of the tokens holds it back.
   * @defaultValue the model entry's `timeout`, else `600000` (10 minutes, the openai SDK's own)
   */
  timeout?: number;
  /** LangChain callbacks, passed to the chain run (tracing, logging). */
  callbacks?: Callbacks;
  /** LangChain run tags. */
  tags?: string[];
  /** LangChain run metadata. */
  metadata?: Record<string, unknown>;
  /** LangChain run name. @defaultValue `"CompletionChain"` */
  runName?: string;
}

/** {@link CompletionOptions} after validation, defaults applied. */
export interface ParsedCompletionOptions
  extends Omit<CompletionOptions, "stream" | "echo" | "temperature" | "maxTokens" | "promptName"> {
  stream: boolean;
  echo: boolean;
  temperature: number;
  /** `undefined` → not sent. */
  maxTokens: number | undefined;
  promptName: string;
}

const isPromptTemplate = (value: unknown): value is BasePromptTemplate =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as BasePromptTemplate).format === "function" &&
  Array.isArray((value as BasePromptTemplate).inputVariables);

/** The largest timer Node can set (2^31 - 1 ms, ~24.8 days); a larger delay would fire at once. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

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

/** The registry's schema, shared with the config-file loader. */
export const modelRegistrySchema = z.record(z.string().min(1), modelConfig);

const schema = z.strictObject({
  query: z.string({ error: "is required and must be a string" }),
  stream: z.boolean({ error: "must be a boolean" }).default(false),
  echo: z.boolean({ error: "must be a boolean" }).default(false),
  model: z
    .union([z.string().min(1), z.custom<CompletionModel>(isModelInstance)], {
      error: "must be a model name or a LangChain model instance",
    })
    .optional(),
  temperature: z
    .number({ error: "must be a number" })
    .min(0, { error: "must be between 0 and 1" })
    .max(1, { error: "must be between 0 and 1" })
    .default(0.7),
  maxTokens: z
    .number({ error: "must be an integer or null" })
    .int({ error: "must be an integer" })
    .nullable()
    .default(1024),
  promptName: z
    .string({ error: "must be a string" })
    .regex(PROMPT_NAME_PATTERN, { error: "must be a plain name matching [A-Za-z0-9_-]+" })
    .default("default"),
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

// A registry is checked once; changing an entry in place afterwards is not re-validated.
const checkedRegistries = new WeakSet<object>();
const schemaWithoutRegistry = schema.extend({
  models: z.custom<ModelRegistry>(() => true).optional(),
});

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

const KNOWN_KEYS = new Set(Object.keys(schema.shape));

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

/**
 * The common case without zod: options that are plainly valid get their defaults here; anything
 * else — every invalid value, an unseen registry, an unusual object — returns `undefined` and is
 * left to the schema, which alone words the errors. It accepts a subset of what the schema accepts
 * and returns what the schema would (test/options-fast-path.test.ts compares the two on random
 * options). Why: zod's `safeParse` of this 17-key schema measured ~0.12 ms a call inside a request
 * (11 µs in a hot loop), a tenth of the time to first token.
 *
 * @internal exported for that test
 */
export function parseCommonOptions(input: unknown): ParsedCompletionOptions | undefined {
  if (!isPlainObject(input)) return undefined;
  for (const key of Object.keys(input)) if (!KNOWN_KEYS.has(key)) return undefined;
  if (Object.getOwnPropertySymbols(input).length > 0) return undefined;
  const o = input as Record<keyof CompletionOptions, unknown>;
  const optional = (value: unknown, check: (value: unknown) => boolean) =>
    value === undefined || check(value);
  if (typeof o.query !== "string") return undefined;
  if (!optional(o.stream, (v) => typeof v === "boolean")) return undefined;
  if (!optional(o.echo, (v) => typeof v === "boolean")) return undefined;
  if (
    !optional(o.model, (v) => (typeof v === "string" ? v.length > 0 : isModelInstance(v))) ||
    !optional(o.temperature, (v) => typeof v === "number" && v >= 0 && v <= 1) ||
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
  const maxTokens = (o.maxTokens ?? (o.maxTokens === null ? null : 1024)) as number | null;
  return {
    ...(input as unknown as Omit<ParsedCompletionOptions, "maxTokens">),
    stream: (o.stream as boolean | undefined) ?? false,
    echo: (o.echo as boolean | undefined) ?? false,
    temperature: (o.temperature as number | undefined) ?? 0.7,
    promptName: (o.promptName as string | undefined) ?? "default",
    maxTokens: maxTokens === null || maxTokens <= 0 ? undefined : maxTokens,
  };
}

/**
 * Validates `completion()` options and applies the defaults.
 *
 * @throws CompletionError `invalid_options`, naming the field: "`temperature` must be between 0 and
 * 1, got 1.5"
 */
export function parseCompletionOptions(input: unknown): ParsedCompletionOptions {
  return parseCommonOptions(input) ?? parseWithSchema(input);
}

/**
 * The schema path of {@link parseCompletionOptions}: every input, and the only one that words errors.
 *
 * @internal exported for test/options-fast-path.test.ts
 */
export function parseWithSchema(input: unknown): ParsedCompletionOptions {
  // The registry is usually one object passed to every call; validate it once (its URL checks
  // cost ~0.15 ms a call, measured with bench/profile.ts).
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
        ? `unknown option ${(first.keys as string[]).map((key) => `\`${key}\``).join(", ")}`
        : `\`${field}\` ${first?.message ?? "is invalid"}, got ${describe(valueAt(input, path), path)}`;
    throw new CompletionError("invalid_options", message, {
      issues: issues.map((issue) => ({
        path: issue.path,
        message: issue.message,
        code: issue.code,
      })),
    });
  }
  const { maxTokens, ...rest } = result.data;
  return {
    ...(rest as Omit<ParsedCompletionOptions, "maxTokens">),
    maxTokens: maxTokens === null || maxTokens <= 0 ? undefined : maxTokens,
  };
}
