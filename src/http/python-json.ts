/**
 * Python's `json.loads` (CPython 3.10, C scanner `Modules/_json.c`, `strict=True`), reproduced
 * closely enough that a FastAPI 0.92 error body can be rebuilt byte for byte: the same
 * values (an int literal stays an int, `1.0` stays a float, `NaN`/`Infinity` are accepted), the same
 * first error, the same message, and positions counted in code points as a Python `str` index is.
 */

import { DecodeFailure, scanString } from "./python-json-string.js";

/** A decoded JSON value, typed the way Python's `json` module types it. */
export type PyValue =
  | { kind: "none" }
  | { kind: "bool"; value: boolean }
  /** `text` is `str(int(literal))`: exact even past 2^53 (a JSON int has no `+` or leading zero). */
  | { kind: "int"; value: number; text: string }
  | { kind: "float"; value: number }
  | { kind: "str"; value: string }
  | { kind: "list"; items: PyValue[] }
  | { kind: "dict"; entries: Map<string, PyValue> };

/** The fields of Python's `json.JSONDecodeError`, in `__dict__` order, plus `str(error)`. */
export interface PyJsonDecodeError {
  /** `str(error)`, e.g. `Expecting value: line 1 column 11 (char 10)`. */
  message: string;
  msg: string;
  doc: string;
  pos: number;
  lineno: number;
  colno: number;
}

export type PyJsonResult = { ok: true; value: PyValue } | { ok: false; error: PyJsonDecodeError };

// json.decoder.WHITESPACE is `[ \t\n\r]*`; _json.c's IS_WHITESPACE is the same four characters.
const isWs = (c: string | undefined): boolean =>
  c === " " || c === "\t" || c === "\n" || c === "\r";
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/**
 * Decodes `doc` as `json.loads(doc)` does for a `str` (Starlette passes the body bytes; they are
 * decoded first, so callers strip a UTF-8 BOM as `json.detect_encoding` → `utf-8-sig` would).
 * Never throws; nesting depth is unbounded (CPython would raise RecursionError near 1000 levels).
 */
export function loadsPython(doc: string): PyJsonResult {
  const s = Array.from(doc); // one entry per code point, as Python indexes a str
  try {
    let idx = skipWs(s, 0);
    const [value, end] = scanValue(s, idx);
    idx = skipWs(s, end);
    if (idx !== s.length) throw new DecodeFailure("Extra data", idx);
    return { ok: true, value };
  } catch (failure) {
    if (!(failure instanceof DecodeFailure)) throw failure;
    return { ok: false, error: decodeError(s, doc, failure) };
  }
}

function decodeError(s: string[], doc: string, { msg, pos }: DecodeFailure): PyJsonDecodeError {
  // json.decoder.JSONDecodeError.__init__: lineno = doc.count('\n', 0, pos) + 1,
  // colno = pos - doc.rfind('\n', 0, pos)
  let lineno = 1;
  let lastNewline = -1;
  for (let i = 0; i < pos; i++) {
    if (s[i] === "\n") {
      lineno++;
      lastNewline = i;
    }
  }
  const colno = pos - lastNewline;
  return {
    message: `${msg}: line ${lineno} column ${colno} (char ${pos})`,
    msg,
    doc,
    pos,
    lineno,
    colno,
  };
}

function skipWs(s: string[], idx: number): number {
  while (idx < s.length && isWs(s[idx])) idx++;
  return idx;
}

type Frame =
  | { kind: "list"; items: PyValue[] }
  | { kind: "dict"; entries: Map<string, PyValue>; key: string };

/** `scan_once_unicode` with `_parse_object_unicode`/`_parse_array_unicode` unrolled onto a stack. */
function scanValue(s: string[], start: number): [PyValue, number] {
  const stack: Frame[] = [];
  let idx = start;
  for (;;) {
    let value: PyValue;
    const c = s[idx];
    if (c === "{") {
      idx = skipWs(s, idx + 1);
      if (s[idx] !== "}") {
        const [key, next] = scanKey(s, idx);
        stack.push({ kind: "dict", entries: new Map(), key });
        idx = next;
        continue;
      }
      value = { kind: "dict", entries: new Map() };
      idx++;
    } else if (c === "[") {
      idx = skipWs(s, idx + 1);
      if (s[idx] !== "]") {
        stack.push({ kind: "list", items: [] });
        continue;
      }
      value = { kind: "list", items: [] };
      idx++;
    } else {
      [value, idx] = scanScalar(s, idx);
    }
    // A value is complete: hand it to the enclosing containers until one wants another value.
    for (;;) {
      const top = stack.at(-1);
      if (top === undefined) return [value, idx];
      if (top.kind === "list") top.items.push(value);
      else top.entries.set(top.key, value);
      idx = skipWs(s, idx);
      const close = top.kind === "list" ? "]" : "}";
      if (s[idx] === close) {
        stack.pop();
        value = top.kind === "list" ? top : { kind: "dict", entries: top.entries };
        idx++;
        continue;
      }
      if (s[idx] !== ",") throw new DecodeFailure("Expecting ',' delimiter", idx);
      idx = skipWs(s, idx + 1);
      if (top.kind === "dict") [top.key, idx] = scanKey(s, idx);
      break;
    }
  }
}

/** Reads `"key"`, the `:` and the whitespace after it; returns the key and the value's index. */
function scanKey(s: string[], idx: number): [string, number] {
  if (s[idx] !== '"') {
    throw new DecodeFailure("Expecting property name enclosed in double quotes", idx);
  }
  const [key, end] = scanString(s, idx + 1);
  const colon = skipWs(s, end);
  if (s[colon] !== ":") throw new DecodeFailure("Expecting ':' delimiter", colon);
  return [key, skipWs(s, colon + 1)];
}

function matches(s: string[], idx: number, word: string): boolean {
  // _json.c tests `idx + len(word) - 1 < length` before comparing, i.e. the word fits.
  return s.slice(idx, idx + word.length).join("") === word;
}

function scanScalar(s: string[], idx: number): [PyValue, number] {
  // A bad or missing value raises StopIteration(idx), which raw_decode turns into "Expecting value".
  if (idx >= s.length) throw new DecodeFailure("Expecting value", idx);
  const c = s[idx];
  if (c === '"') {
    const [value, end] = scanString(s, idx + 1);
    return [{ kind: "str", value }, end];
  }
  if (matches(s, idx, "null")) return [{ kind: "none" }, idx + 4];
  if (matches(s, idx, "true")) return [{ kind: "bool", value: true }, idx + 4];
  if (matches(s, idx, "false")) return [{ kind: "bool", value: false }, idx + 5];
  if (matches(s, idx, "NaN")) return [{ kind: "float", value: Number.NaN }, idx + 3];
  if (matches(s, idx, "Infinity")) return [{ kind: "float", value: Infinity }, idx + 8];
  if (matches(s, idx, "-Infinity")) return [{ kind: "float", value: -Infinity }, idx + 9];
  return scanNumber(s, idx);
}

/** `_match_number_unicode`: `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`, backtracking a bare `e`. */
function scanNumber(s: string[], start: number): [PyValue, number] {
  let idx = start;
  if (s[idx] === "-") idx++;
  if (s[idx] === "0") idx++;
  else if (isDigit(s[idx])) {
    while (isDigit(s[idx])) idx++;
  } else throw new DecodeFailure("Expecting value", start);
  let isFloat = false;
  if (s[idx] === "." && isDigit(s[idx + 1])) {
    isFloat = true;
    idx += 2;
    while (isDigit(s[idx])) idx++;
  }
  if (s[idx] === "e" || s[idx] === "E") {
    let e = idx + 1;
    if (s[e] === "-" || s[e] === "+") e++;
    if (isDigit(s[e])) {
      isFloat = true;
      while (isDigit(s[e])) e++;
      idx = e;
    }
  }
  const text = s.slice(start, idx).join("");
  if (isFloat) return [{ kind: "float", value: Number(text) }, idx];
  // Python ints have no negative zero: int("-0") is 0.
  const value = Number(text) || 0;
  return [{ kind: "int", value, text: text === "-0" ? "0" : text }, idx];
}
