/** Where a JSON text stops being JSON: 1-based line and column (in UTF-16 code units). */
export interface JsonSyntaxErrorPosition {
  line: number;
  column: number;
}

class SyntaxAt {
  constructor(readonly offset: number) {}
}

const isDigit = (char: string | undefined) => char !== undefined && char >= "0" && char <= "9";
const isHex = (char: string | undefined) => char !== undefined && /^[0-9A-Fa-f]$/.test(char);

/**
 * Finds the first syntax error of a JSON text (RFC 8259, as `JSON.parse` reads it), without
 * quoting any of it. Why not `JSON.parse`'s message: V8 quotes the text around the error
 * (`Unexpected token 's', "…"apiKey": sk-…" is not valid JSON`), and a config file holds API keys;
 * and only some of its messages give a position.
 *
 * @param text - the file's text
 * @returns the position of the first error, or `undefined` when the text is valid JSON
 * @example
 * ```ts
 * locateJsonSyntaxError('{\n  "a": nope\n}'); // { line: 2, column: 8 }
 * ```
 */
export function locateJsonSyntaxError(text: string): JsonSyntaxErrorPosition | undefined {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxAt(i);
  };
  const whitespace = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i += 1;
  };
  const expect = (char: string) => {
    if (text[i] !== char) fail();
    i += 1;
  };
  const string = () => {
    expect('"');
    for (;;) {
      const char = text[i];
      if (char === undefined || char.charCodeAt(0) < 0x20) fail();
      i += 1;
      if (char === '"') return;
      if (char !== "\\") continue;
      const escaped = text[i];
      if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) {
        i += 1;
      } else if (escaped === "u") {
        i += 1;
        for (let k = 0; k < 4; k += 1) {
          if (!isHex(text[i])) fail();
          i += 1;
        }
      } else {
        fail();
      }
    }
  };
  const digits = () => {
    if (!isDigit(text[i])) fail();
    while (isDigit(text[i])) i += 1;
  };
  const number = () => {
    if (text[i] === "-") i += 1;
    if (text[i] === "0") i += 1;
    else digits();
    if (text[i] === ".") {
      i += 1;
      digits();
    }
    if (text[i] === "e" || text[i] === "E") {
      i += 1;
      if (text[i] === "+" || text[i] === "-") i += 1;
      digits();
    }
  };
  const members = (close: string, member: () => void) => {
    i += 1;
    whitespace();
    if (text[i] === close) {
      i += 1;
      return;
    }
    for (;;) {
      member();
      whitespace();
      if (text[i] === close) {
        i += 1;
        return;
      }
      expect(",");
    }
  };
  const value = (): void => {
    whitespace();
    const char = text[i];
    if (char === "{") {
      members("}", () => {
        whitespace();
        string();
        whitespace();
        expect(":");
        value();
      });
    } else if (char === "[") {
      members("]", value);
    } else if (char === '"') {
      string();
    } else if (char === "-" || isDigit(char)) {
      number();
    } else {
      const literal = ["true", "false", "null"].find((word) => text.startsWith(word, i));
      if (literal === undefined) fail();
      i += (literal as string).length;
    }
  };
  try {
    value();
    whitespace();
    if (i < text.length) fail();
    return undefined;
  } catch (error) {
    // A RangeError (nesting deeper than the stack) has no position to give.
    if (!(error instanceof SyntaxAt)) return undefined;
    const before = text.slice(0, error.offset);
    const lineStart = before.lastIndexOf("\n") + 1;
    return { line: before.split("\n").length, column: error.offset - lineStart + 1 };
  }
}
