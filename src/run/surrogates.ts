/**
 * Rejoining emoji an upstream splits between two tokens: `"\ud83c"` then `"\udf89"` are each
 * unencodable alone (U+FFFD on the wire), so the first half is held back until the second arrives.
 *
 * @packageDocumentation
 */

/** Holds a trailing high surrogate back from one token and puts it in front of the next. */
export class SurrogateJoiner {
  private held = "";

  /** `text` with the half-pair held from the last call in front and any new trailing half held back. */
  join(text: string): string {
    if (this.held !== "") {
      text = this.held + text;
      this.held = "";
    }
    if (endsWithHighSurrogate(text)) {
      this.held = text.slice(-1);
      return text.slice(0, -1);
    }
    return text;
  }

  /** The half-pair still held (the stream ended after it), or `""`; lets go of it. */
  flush(): string {
    const held = this.held;
    this.held = "";
    return held;
  }
}

/** True when `text` ends with the first half of a UTF-16 surrogate pair. */
function endsWithHighSurrogate(text: string): boolean {
  if (text === "") return false;
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff;
}
