/**
 * What a request log entry carries of the request's content — only with `logContent` on: the query,
 * the prompt and model names, and the answer, each bounded.
 *
 * @packageDocumentation
 */

import { LOG_CONTENT_MAX_CHARS } from "../defaults.js";
import type { CompletionBody } from "./validation.js";

/** The content fields of a request log entry (`RequestLogEntry`). */
export interface LoggedContent {
  query: string;
  promptName: string;
  modelName?: string;
  answer?: string;
  truncated?: ("query" | "answer")[];
}

/**
 * `kept` with `piece` appended while `kept` is no longer than `max`: what a stream keeps of its
 * answer for the log. It holds at most `max` plus one token, and a text longer than `max` tells
 * {@link loggedContent} that something was cut (or dropped).
 *
 * @param kept - the answer kept so far
 * @param piece - the next token
 * @param max - the cap
 */
export function keepForLog(kept: string, piece: string, max = LOG_CONTENT_MAX_CHARS): string {
  return kept.length > max ? kept : kept + piece;
}

/**
 * The content fields for a request's log entry: the body's query, prompt and model names, and the
 * answer as far as it went, each cut at `max` UTF-16 code units (never inside a surrogate pair) and
 * then named in `truncated`.
 *
 * @param body - the validated body
 * @param answer - the answer sent (or kept, see {@link keepForLog}), if any
 * @param max - the cap per field
 */
export function loggedContent(
  body: CompletionBody,
  answer: string | undefined,
  max = LOG_CONTENT_MAX_CHARS,
): LoggedContent {
  const truncated: ("query" | "answer")[] = [];
  const cut = (field: "query" | "answer", text: string) => {
    if (text.length <= max) return text;
    truncated.push(field);
    const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
    return text.slice(0, end);
  };
  const content: LoggedContent = { query: cut("query", body.query), promptName: body.prompt_name };
  if (body.model_name !== null) content.modelName = body.model_name;
  if (answer !== undefined) content.answer = cut("answer", answer);
  if (truncated.length > 0) content.truncated = truncated;
  return content;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
