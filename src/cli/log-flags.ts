import { LOG_FORMATS, type LogFormat } from "../http/node/request-logger.js";
import type { ServeOptions } from "../http/node/serve.js";
import { usageError } from "./cli-error.js";

/** `serve`'s logging flags, for `parseArgs`. */
export const LOG_FLAGS = {
  "log-format": { type: "string" },
  "log-content": { type: "boolean" },
} as const;

/**
 * `--log-format` and `--log-content` as `serveCompletion()` options; an absent `--log-format` is
 * left to the default (JSON unless stdout is a terminal).
 *
 * @param values - the parsed flags
 * @throws CliError (exit 2) for a format other than `json` or `pretty`
 * @example
 * ```ts
 * logOptionsFromFlags({ "log-format": "json" }); // { logFormat: "json" }
 * ```
 */
export function logOptionsFromFlags(values: {
  "log-format"?: string | undefined;
  "log-content"?: boolean | undefined;
}): Pick<ServeOptions, "logFormat" | "logContent"> {
  const format = values["log-format"];
  if (format !== undefined && !LOG_FORMATS.includes(format as LogFormat))
    usageError(
      `--log-format must be ${LOG_FORMATS.map((name) => JSON.stringify(name)).join(" or ")}, got ${JSON.stringify(format)}`,
    );
  return {
    ...(format === undefined ? {} : { logFormat: format as LogFormat }),
    ...(values["log-content"] === true ? { logContent: true } : {}),
  };
}
