/**
 * Python's number text, as the original's validators used it: `float(str)` and `int(str)` (CPython
 * 3.10), `str.strip()`, and `repr(float)` for the messages and bodies that print a float.
 *
 * @packageDocumentation
 */

const ASCII_SPACE = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g;
// Py_UNICODE_ISSPACE (Unicode 13): what str.strip() removes.
const PY_SPACE =
  "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const PY_STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, "g");
const IS_PY_SPACE = new RegExp(`^${PY_SPACE}$`);

/** Python `str.strip()` without arguments. */
export const pyStrip = (s: string): string => s.replace(PY_STRIP, "");

/** Python `len(str)`: code points, not UTF-16 units. */
export const codePointLength = (s: string): number => Array.from(s).length;

/**
 * `_PyUnicode_TransformDecimalAndSpaceToASCII`, which float() and int() apply first: non-ASCII
 * whitespace becomes a space and any Unicode decimal digit its ASCII digit; any other non-ASCII
 * character makes the string unparseable (CPython writes `?` there).
 */
function toAsciiNumeral(s: string): string | undefined {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 127) out += ch;
    else if (IS_PY_SPACE.test(ch)) out += " ";
    else if (/\p{Nd}/u.test(ch)) {
      // Unicode guarantees decimal digits come in contiguous runs of ten, 0 to 9.
      let start = cp;
      while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
      out += String((cp - start) % 10);
    } else return undefined;
  }
  return out;
}

/**
 * Python `float(str)`: `_Py_string_to_number_with_underscores` + `PyOS_string_to_double`.
 *
 * @param raw - the text
 * @returns the number, or `undefined` where Python raises `ValueError`
 * @example
 * ```ts
 * pyFloat(" 1_0.5 "); // 10.5
 * pyFloat("-inf"); // -Infinity
 * ```
 */
export function pyFloat(raw: string): number | undefined {
  let s = toAsciiNumeral(raw);
  if (s === undefined) return undefined;
  if (s.includes("_")) {
    // One underscore at a time, only between two digits; checked before the whitespace is stripped.
    if (/(^|[^0-9])_|_($|[^0-9])/.test(s)) return undefined;
    s = s.replaceAll("_", "");
  }
  s = s.replace(ASCII_SPACE, "");
  const special = /^([+-]?)(?:(inf(?:inity)?)|nan)$/i.exec(s);
  if (special) return special[2] ? (special[1] === "-" ? -Infinity : Infinity) : Number.NaN;
  return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s) ? Number(s) : undefined;
}

/**
 * Python `int(str)` in base 10: whitespace, a sign, digits with single underscores between.
 *
 * @param raw - the text
 * @returns the number, or `undefined` where Python raises `ValueError`
 * @example
 * ```ts
 * pyInt(" -1_000 "); // -1000
 * ```
 */
export function pyInt(raw: string): number | undefined {
  const s = toAsciiNumeral(raw);
  const m = s === undefined ? null : /^[ \t\n\v\f\r]*([+-]?)(\d+(?:_\d+)*)[ \t\n\v\f\r]*$/.exec(s);
  if (!m) return undefined;
  const n = Number((m[2] as string).replaceAll("_", ""));
  return m[1] === "-" ? -n || 0 : n;
}

/**
 * Python's `repr(float)` (`float_repr_style == 'short'`): the shortest round-trip digits, written
 * in positional form with a trailing `.0` when the decimal exponent is in [-4, 16), otherwise as
 * `d.ddde±XX` with at least two exponent digits; `inf`, `-inf`, `nan` for the rest.
 *
 * @param n - any JavaScript number, read as a Python float.
 * @returns the text `repr(n)` prints in CPython 3.
 * @example
 * pythonFloatRepr(1); // "1.0"
 * pythonFloatRepr(1e16); // "1e+16"
 * pythonFloatRepr(0.00001); // "1e-05"
 */
export function pythonFloatRepr(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0";
  const sign = n < 0 ? "-" : "";
  // toExponential() without an argument gives the shortest round-trip digits, as repr does.
  const [mantissa = "", exponent = "0"] = Math.abs(n).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const e = Number(exponent);
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, "0");
  return `${sign}${whole}.${digits.slice(e + 1) || "0"}`;
}
