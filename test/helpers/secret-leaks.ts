/**
 * Where an API key could leak and how to find it, for the secrets-*.test.ts files: the
 * keys, a capture of everything printed to the console, and the texts a caller could print.
 */
import { inspect } from "node:util";
import { afterEach, beforeEach, vi } from "vitest";

// Keys in the forms real deployments use: OpenAI's, a local proxy's (vLLM `--api-key`), LiteLLM's.
export const KEYS = [
  "sk-proj-Zq8v2Lm4Xw9Rt7Yp3Kd6Hs1Nb5",
  "local-proxy-key-7f3a9c2e51",
  "litellm-master-4b9e1d7c3a2f",
] as const;

// ---------------------------------------------------------------------------------------------
// Everything printed to the console during a test (openai-node's logger prints there).

export const consoleLines: string[] = [];

beforeEach(() => {
  consoleLines.length = 0;
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      consoleLines.push(
        args.map((arg) => (typeof arg === "string" ? arg : inspect(arg, { depth: 6 }))).join(" "),
      );
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------
// Where a key could show: the error's message, stack, its whole cause chain, inspect and JSON.

/** The key, and the parts of it that would still give it away: each line, and its tail. */
function piecesOf(key: string): string[] {
  const pieces = new Set([key, key.trim(), key.trim().slice(-10)]);
  for (const piece of key.split(/\s+/)) if (piece.length >= 6) pieces.add(piece);
  return [...pieces].filter((piece) => piece.length >= 6);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch (error) {
    return `[JSON.stringify threw: ${String(error)}]`;
  }
}

export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "";
  }
}

/** Every text a caller could print from `error`: message, stack, each cause, inspect, JSON. */
export function printedForms(error: unknown): string[] {
  const texts = [
    inspect(error, { depth: Number.POSITIVE_INFINITY }),
    inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    safeJson(error),
  ];
  const seen = new Set<unknown>();
  let link: unknown = error;
  while (link !== undefined && link !== null && !seen.has(link) && seen.size < 32) {
    seen.add(link);
    texts.push(safeString(link), safeJson(link));
    if (typeof link !== "object" && typeof link !== "function") break;
    const record = link as { message?: unknown; stack?: unknown; cause?: unknown };
    texts.push(safeString(record.message), safeString(record.stack));
    link = record.cause;
  }
  return texts;
}

/** Each place a piece of `key` shows in `texts`, with a little context; `[]` when none. */
export function leaks(texts: readonly string[], key: string): string[] {
  const found: string[] = [];
  for (const piece of piecesOf(key)) {
    for (const text of texts) {
      const at = text.indexOf(piece);
      if (at >= 0)
        found.push(`${JSON.stringify(piece)} in …${text.slice(Math.max(0, at - 60), at + 80)}…`);
    }
  }
  return [...new Set(found)];
}
