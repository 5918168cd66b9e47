/**
 * JSON string literals as CPython 3.10's `_json.c` scans them (`scanstring_unicode`, `strict=1`):
 * the same escapes, surrogate pairs and error positions.
 *
 * @packageDocumentation
 */

/** A decoding failure: Python's message and the code-point index; `loadsPython` reports it. */
export class DecodeFailure {
  constructor(
    readonly msg: string,
    readonly pos: number,
  ) {}
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** `scanstring_unicode(pystr, end, strict=1)`; `end` is just past the opening quote. */
export function scanString(s: string[], end: number): [string, number] {
  const begin = end - 1;
  let out = "";
  for (;;) {
    let next = end;
    for (; next < s.length; next++) {
      const d = s[next] as string;
      if (d === '"' || d === "\\") break;
      if (d.charCodeAt(0) <= 0x1f) throw new DecodeFailure("Invalid control character at", next);
    }
    if (next >= s.length) throw new DecodeFailure("Unterminated string starting at", begin);
    out += s.slice(end, next).join("");
    if (s[next] === '"') return [out, next + 1];
    next++;
    if (next === s.length) throw new DecodeFailure("Unterminated string starting at", begin);
    const escaped = s[next] as string;
    if (escaped !== "u") {
      end = next + 1;
      const char = ESCAPES[escaped];
      if (char === undefined) throw new DecodeFailure("Invalid \\escape", end - 2);
      out += char;
      continue;
    }
    next++;
    end = next + 4;
    if (end >= s.length) throw new DecodeFailure("Invalid \\uXXXX escape", next - 1);
    let code = readHex(s, next, end);
    // A high surrogate followed by `\uDC00`-`\uDFFF` joins into one code point; otherwise the
    // second escape is read again on its own (`end -= 6` in _json.c).
    if (code >= 0xd800 && code <= 0xdbff && end + 6 < s.length) {
      if (s[end] === "\\" && s[end + 1] === "u") {
        const low = readHex(s, end + 2, end + 6);
        if (low >= 0xdc00 && low <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          end += 6;
        }
      }
    }
    out += String.fromCodePoint(code);
  }
}

function readHex(s: string[], from: number, to: number): number {
  let code = 0;
  for (let i = from; i < to; i++) {
    const digit = s[i] as string;
    // Reported at the `u`, which is `end - 5` in _json.c.
    if (!/^[0-9a-fA-F]$/.test(digit)) throw new DecodeFailure("Invalid \\uXXXX escape", to - 5);
    code = code * 16 + Number.parseInt(digit, 16);
  }
  return code;
}
