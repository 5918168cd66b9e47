/**
 * The original endpoint's seven request fields, one row each: the name in `completion()` options,
 * in the HTTP body and on the command line, how the value travels as JSON, and its default. Every
 * translation between the names — a body into options, an option back into a body `loc`, flags
 * into options — reads this table.
 *
 * @packageDocumentation
 */

import {
  DEFAULT_ECHO,
  DEFAULT_MAX_TOKENS,
  DEFAULT_PROMPT_NAME,
  DEFAULT_STREAM,
  DEFAULT_TEMPERATURE,
} from "./defaults.js";

/** Which pydantic 1 validator read the field in the original: its JSON type after coercion. */
export type WireType = "str" | "bool" | "float" | "int";

/** One row of {@link REQUEST_FIELDS}. */
export interface RequestField {
  /** The `completion()` option. */
  option: string;
  /** The HTTP body key (the original's snake_case name). */
  body: string;
  /** The CLI flag, without dashes; the query is the positional argument instead. */
  flag?: string;
  wire: WireType;
  /** Only the query has no default. */
  required?: true;
  /** The value an absent (or, over HTTP, `null`) field takes; `null`: none (the model's own). */
  default?: string | number | boolean | null;
}

/**
 * The fields, in the order the original declares them (FastAPI reports bad fields in this order).
 * The rules a value must meet are the library's, in `options-schema.ts`.
 */
export const REQUEST_FIELDS = [
  { option: "query", body: "query", wire: "str", required: true },
  { option: "stream", body: "stream", flag: "stream", wire: "bool", default: DEFAULT_STREAM },
  { option: "echo", body: "echo", flag: "echo", wire: "bool", default: DEFAULT_ECHO },
  { option: "model", body: "model_name", flag: "model", wire: "str", default: null },
  {
    option: "temperature",
    body: "temperature",
    flag: "temperature",
    wire: "float",
    default: DEFAULT_TEMPERATURE,
  },
  {
    option: "maxTokens",
    body: "max_tokens",
    flag: "max-tokens",
    wire: "int",
    default: DEFAULT_MAX_TOKENS,
  },
  {
    option: "promptName",
    body: "prompt_name",
    flag: "prompt",
    wire: "str",
    default: DEFAULT_PROMPT_NAME,
  },
] as const satisfies readonly RequestField[];

/** A `completion()` option that the HTTP body carries too. */
export type FieldOption = (typeof REQUEST_FIELDS)[number]["option"];

/** An HTTP body key. */
export type BodyKey = (typeof REQUEST_FIELDS)[number]["body"];

const BY_OPTION = new Map<string, RequestField>(
  REQUEST_FIELDS.map((field) => [field.option, field]),
);

/**
 * The body key of a `completion()` option, for a 422's `loc`.
 *
 * @param option - an option name, e.g. `"maxTokens"`
 * @returns its body key (`"max_tokens"`), or `undefined` for an option the body does not carry
 * @example
 * ```ts
 * bodyKeyOf("promptName"); // "prompt_name"
 * ```
 */
export function bodyKeyOf(option: string): BodyKey | undefined {
  return BY_OPTION.get(option)?.body as BodyKey | undefined;
}

/**
 * The field a CLI flag sets.
 *
 * @param flag - a flag without its dashes, e.g. `"max-tokens"`
 * @returns its row, or `undefined` for a flag that sets no field of the original's
 * @example
 * ```ts
 * fieldOfFlag("prompt")?.body; // "prompt_name"
 * ```
 */
export function fieldOfFlag(flag: string): RequestField | undefined {
  return REQUEST_FIELDS.find((field) => "flag" in field && field.flag === flag);
}

/**
 * `completion()` options from body values: each key renamed; absent keys, and a `null` where the
 * field's default is `null` (a `model_name` of `null` is "the first configured model", which the
 * `model` option says by its absence), left out. A `null` `max_tokens` stays: "not sent".
 *
 * @param body - body values by body key
 * @example
 * ```ts
 * optionsFromBody({ query: "hi", max_tokens: null, model_name: null }); // { query: "hi", maxTokens: null }
 * ```
 */
export function optionsFromBody(
  body: Partial<Record<BodyKey, unknown>>,
): Partial<Record<FieldOption, unknown>> {
  const options: Partial<Record<FieldOption, unknown>> = {};
  for (const field of REQUEST_FIELDS) {
    const value = body[field.body];
    if (value === undefined || (value === null && "default" in field && field.default === null))
      continue;
    options[field.option] = value;
  }
  return options;
}
