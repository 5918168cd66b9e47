import { concatBytes } from "../bytes.js";
import type { CompletionError } from "../errors.js";
import { bodyKeyOf, type FieldOption } from "../fields.js";
import { renderValidationBody, type ValidationIssue } from "./fastapi-detail.js";

const JSON_HEADERS = { "content-type": "application/json" };

/** The headers of an event stream, as sse-starlette sends them. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

/** A JSON response. */
export function json(status: number, body: string, extra: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...JSON_HEADERS, ...extra } });
}

/** The option each completion() failure is about, for the 422 `loc`. */
const OPTION_OF: Partial<Record<CompletionError["code"], FieldOption>> = {
  unknown_prompt: "promptName",
  invalid_prompt: "promptName",
  unknown_model: "model",
};

/** The 503 a request gets while the server shuts down. */
export function shuttingDown(cors: Record<string, string>): Response {
  const detail = { code: "shutting_down", message: "The server is shutting down" };
  return json(503, JSON.stringify({ detail }), { ...cors, connection: "close" });
}

/**
 * The response for a failure before any byte of the stream was sent: a 422 naming the body field
 * for bad input, 504 when the endpoint timed out, 502 for its other failures, 503 when the server's
 * shutdown ended the request, 499 (nginx's "client closed request") when the client went away.
 */
export function errorResponse(
  error: CompletionError,
  cors: Record<string, string>,
  shutdown: boolean,
): Response {
  if (shutdown && error.code === "aborted") return shuttingDown(cors);
  const misconfigured =
    error.code === "invalid_options" &&
    (error.issues === undefined ||
      error.issues.some((issue) => issue.path[0] === "models" || issue.path[0] === "promptsDir"));
  if (misconfigured) {
    // The server's own configuration (a registry entry, OPENAI_BASE_URL), not the client's body.
    const detail = { code: "internal", message: "The server's model configuration is invalid" };
    return json(500, JSON.stringify({ detail }), cors);
  }
  const option = OPTION_OF[error.code];
  if (option !== undefined || error.code === "invalid_options") {
    const path = error.issues?.[0]?.path ?? [];
    const name = bodyKeyOf(option ?? String(path[0])) ?? String(path[0] ?? "body");
    const issue: ValidationIssue = {
      loc: ["body", name],
      msg: error.message,
      type: `value_error.${error.code}`,
    };
    return json(422, renderValidationBody([issue]), cors);
  }
  const status =
    error.code === "upstream_timeout"
      ? 504
      : error.code.startsWith("upstream_")
        ? 502
        : error.code === "aborted"
          ? 499
          : 500;
  const detail = { code: error.code, message: error.message };
  return json(status, JSON.stringify({ detail }), cors);
}

/** The request body, or "too_large" past `limit` bytes (read no further). */
export async function readBody(request: Request, limit: number): Promise<Uint8Array | "too_large"> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) return "too_large";
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return "too_large";
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}

/** The CORS headers for `request`'s origin, if it is allowed. */
export function corsHeaders(
  request: Request,
  allowed: readonly string[] | "*" | undefined,
): Record<string, string> {
  const origin = request.headers.get("origin");
  if (allowed === undefined || origin === null) return {};
  if (allowed !== "*" && !allowed.includes(origin)) return {};
  return { "access-control-allow-origin": allowed === "*" ? "*" : origin, vary: "Origin" };
}
