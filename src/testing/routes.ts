/**
 * The OpenAI API routes of the testing server: `/v1/completions`, `/v1/chat/completions` and
 * `/v1/models`, with the API key check and the non-streamed answers.
 *
 * @packageDocumentation
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { delayBefore, faultAt, stall } from "./faults.js";
import {
  mergeScript,
  type RecordedRequest,
  type TestingScript,
  type TestingServerOptions,
} from "./script.js";
import { type Generation, usage, writeStream } from "./sse.js";

const MODEL_ID = "testing-model";

/** What one request handler needs from its server. */
export interface RequestContext {
  options: TestingServerOptions;
  requests: RecordedRequest[];
  signal: AbortSignal;
  nextId: () => number;
  onToken: () => void;
}

/**
 * Answers one request: records it, checks the API key, routes it, and writes the scripted answer.
 * Rejects when the client goes away (`context.signal` aborted) or a script function throws.
 *
 * @param req - the request, body not yet read
 * @param res - its response
 * @param context - the server's state and the request's abort signal
 * @example
 * ```ts
 * createServer((req, res) => void handleRequest(req, res, context));
 * ```
 */
export async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  context: RequestContext,
): Promise<void> {
  const { options, signal } = context;
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const method = req.method ?? "GET";
  const raw = await readBody(req);
  let body: unknown;
  let badJson = false;
  if (raw.trim() !== "") {
    try {
      body = JSON.parse(raw);
    } catch {
      badJson = true;
    }
  }
  const request: RecordedRequest = { method, path, headers: { ...req.headers }, body };
  context.requests.push(request);

  if (options.apiKey !== undefined) {
    const authorization = req.headers.authorization;
    if (authorization === undefined) {
      const message =
        "You didn't provide an API key. Send it in an Authorization header (Authorization: Bearer YOUR_KEY).";
      return sendError(res, 401, message, null);
    }
    // The message names no key: a test log must never show one (see DESIGN, rules).
    if (authorization !== `Bearer ${options.apiKey}`) {
      return sendError(res, 401, "Incorrect API key provided.", "invalid_api_key");
    }
  }

  const kind =
    method === "POST" && path === "/v1/completions"
      ? "completion"
      : method === "POST" && path === "/v1/chat/completions"
        ? "chat"
        : undefined;
  if (method === "GET" && path === "/v1/models") {
    const model = { id: MODEL_ID, object: "model", owned_by: "completion-chain" };
    return sendJson(res, 200, { object: "list", data: [model] });
  }
  if (kind === undefined) return sendError(res, 404, `Invalid URL (${method} ${path})`, null);
  if (badJson) return sendError(res, 400, "The request body is not valid JSON.", null);
  if (!isRecord(body)) return sendError(res, 400, "The request body must be a JSON object.", null);

  const script = mergeScript(options, options.script?.(request));
  // Before `status`: a server that hung sends nothing, not even an error.
  if (script.stallBeforeHeaders) return stall(signal);
  if (script.status !== undefined) {
    return sendError(
      res,
      script.status,
      `Scripted ${script.status} error.`,
      codeFor(script.status),
    );
  }
  const prompt = promptText(kind, body);
  const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
  const generation: Generation = {
    kind,
    id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-testing-${context.nextId()}`,
    created: Math.floor(Date.now() / 1000),
    model: typeof body.model === "string" ? body.model : MODEL_ID,
    tokens: resolveTokens(script, request, prompt),
    script,
    includeUsage: streamOptions.include_usage === true,
    promptTokens: splitWords(prompt).length,
    signal,
    onToken: context.onToken,
  };
  if (body.stream === true) return writeStream(res, generation);
  return writeWhole(res, generation);
}

/**
 * A non-streamed answer: generate every token (with its delay), then one JSON body — unless a drop
 * or a stall comes first.
 */
async function writeWhole(res: ServerResponse, generation: Generation): Promise<void> {
  const { script, tokens, signal } = generation;
  for (let written = 0; ; written++) {
    const fault = faultAt(script, written, tokens.length, false);
    if (fault === "drop") {
      res.socket?.destroy();
      return;
    }
    if (fault === "stall") return stall(signal);
    if (written === tokens.length) break;
    await delayBefore(script, written, signal);
    generation.onToken();
  }
  const { id, created, model } = generation;
  const text = tokens.join("");
  const finishReason = script.omitFinishReason ? null : (script.finishReason ?? "stop");
  const choice =
    generation.kind === "chat"
      ? {
          index: 0,
          message: { role: "assistant", content: text },
          logprobs: null,
          finish_reason: finishReason,
        }
      : { text, index: 0, logprobs: null, finish_reason: finishReason };
  const object = generation.kind === "chat" ? "chat.completion" : "text_completion";
  sendJson(res, 200, { id, object, created, model, choices: [choice], usage: usage(generation) });
}

/**
 * The prompt's words, each with its leading whitespace; trailing whitespace is a token of its own,
 * so that the pieces always concatenate to `text`.
 */
function splitWords(text: string): string[] {
  return text.match(/\s*\S+|\s+/g) ?? [];
}

function resolveTokens(script: TestingScript, request: RecordedRequest, prompt: string): string[] {
  if (typeof script.tokens === "function") return script.tokens(request);
  return script.tokens ?? splitWords(prompt);
}

/** The completions `prompt` (or its first element), or the text of the last chat message. */
function promptText(kind: "completion" | "chat", body: Record<string, unknown>): string {
  if (kind === "completion") {
    const prompt = Array.isArray(body.prompt) ? body.prompt[0] : body.prompt;
    return typeof prompt === "string" ? prompt : "";
  }
  const last = Array.isArray(body.messages) ? body.messages.at(-1) : undefined;
  const content = isRecord(last) ? last.content : undefined;
  if (typeof content === "string") return content;
  // Content parts: [{ type: "text", text }, { type: "image_url", … }].
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : ""))
    .join("");
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Sends OpenAI's error body `{"error":{"message","type","code"}}`, its `type` following the status
 * as the real API's does.
 *
 * @param res - the response, headers not yet sent
 * @param status - HTTP status
 * @param message - never holds an API key
 * @param code - OpenAI's error code, or `null`
 * @example
 * ```ts
 * sendError(res, 404, "Invalid URL (GET /v1/nope)", null);
 * ```
 */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  code: string | null,
): void {
  const type =
    status === 429 ? "requests" : status >= 500 ? "server_error" : "invalid_request_error";
  sendJson(res, status, { error: { message, type, code } });
}

function codeFor(status: number): string | null {
  if (status === 401) return "invalid_api_key";
  if (status === 429) return "rate_limit_exceeded";
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
