/**
 * A server-sent-event parser over Node `Buffer`s, reading a model endpoint's stream the way
 * openai-node v6 does (`LineDecoder` and `SSEDecoder` in `core/streaming.js`, `internal/decoders/line.js`)
 * at a fraction of the cost: no web streams, no copy of a chunk onto the unfinished line before it
 * unless the chunk ends that line, one string per `data:` value.
 *
 * Loaded only on Node (by the node transport, itself imported lazily): `Buffer` is used freely.
 *
 * @packageDocumentation
 */

import { EVENT_TOO_LARGE, eventTooLarge } from "../run/failures.js";

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

/**
 * Splits bytes into lines (`\n`, `\r\n` or a lone `\r`, also when the `\r\n` pair is split between
 * two chunks) and lines into events, as the EventSource rules say and openai-node does: a blank line
 * dispatches the event when it has an `event:` or any `data:` line; `:` lines are comments; fields
 * other than `event` and `data` are ignored; an unfinished event at the end of the stream is dropped.
 *
 * Lines split only on ASCII bytes, so a multi-byte character is never cut: each value is decoded
 * once, whole.
 */
export class SseParser {
  /** Bytes of a line not yet ended, as they arrived (joined once, when the line ends). */
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** The last chunk ended with `\r`: a `\n` starting the next one belongs to it. */
  private afterCR = false;
  private event: string | null = null;
  private data: string | undefined;
  /** Bytes of the current event's finished lines. */
  private eventBytes = 0;

  /**
   * @param onEvent - called for every dispatched event, in order, with its `data` and its `event`
   * name (`null` when none): two arguments, not an object, so a token costs no object here
   * @param maxEventBytes - an event (its lines together) longer than this fails {@link push}
   */
  constructor(
    private readonly onEvent: (data: string, event: string | null) => void,
    private readonly maxEventBytes: number,
  ) {}

  /**
   * Parses `chunk`, dispatching every event it completes.
   *
   * @throws Error with `code` {@link EVENT_TOO_LARGE} when the current event grows past the limit
   */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return; // (an empty read must not end a `\r\n` pair's wait)
    let buf = chunk;
    let start = 0;
    if (this.afterCR) {
      this.afterCR = false;
      if (buf.length > 0 && buf[0] === LF) start = 1;
    }
    let lf = buf.indexOf(LF, start);
    let cr = buf.indexOf(CR, start);
    if (lf === -1 && cr === -1) {
      this.hold(buf, start);
      return;
    }
    if (this.heldBytes > 0) {
      // The held start of a line ends in this chunk: joined once, here.
      this.held.push(start === 0 ? buf : buf.subarray(start));
      buf = Buffer.concat(this.held);
      const offset = this.heldBytes - start;
      this.held = [];
      this.heldBytes = 0;
      lf = lf === -1 ? -1 : lf + offset;
      cr = cr === -1 ? -1 : cr + offset;
      start = 0;
    }
    const length = buf.length;
    for (;;) {
      let end: number;
      let next: number;
      if (lf !== -1 && (cr === -1 || lf < cr)) {
        end = lf;
        next = lf + 1;
      } else if (cr !== -1) {
        end = cr;
        if (cr + 1 < length) {
          next = buf[cr + 1] === LF ? cr + 2 : cr + 1;
        } else {
          next = length;
          this.afterCR = true;
        }
      } else {
        break;
      }
      this.line(buf, start, end);
      start = next;
      if (lf !== -1 && lf < start) lf = buf.indexOf(LF, start);
      if (cr !== -1 && cr < start) cr = buf.indexOf(CR, start);
    }
    this.hold(buf, start);
  }

  private hold(buf: Buffer, start: number): void {
    const length = buf.length - start;
    if (length <= 0) return;
    this.held.push(start === 0 ? buf : buf.subarray(start));
    this.heldBytes += length;
    if (this.heldBytes + this.eventBytes > this.maxEventBytes) {
      this.held = [];
      this.heldBytes = 0;
      throw eventTooLarge(this.maxEventBytes);
    }
  }

  private line(buf: Buffer, start: number, end: number): void {
    if (start === end) {
      const data = this.data;
      const event = this.event;
      this.data = undefined;
      this.event = null;
      this.eventBytes = 0;
      // openai-node's test: an event with no data and an empty (or no) name is not dispatched.
      if (data !== undefined || event) this.onEvent(data ?? "", event);
      return;
    }
    this.eventBytes += end - start;
    if (this.eventBytes > this.maxEventBytes) throw eventTooLarge(this.maxEventBytes);
    const first = buf[start];
    if (first === COLON) return; // a comment
    let value: string;
    if (
      first === 0x64 && // "data:", the line nearly every event is
      end - start >= 5 &&
      buf[start + 1] === 0x61 &&
      buf[start + 2] === 0x74 &&
      buf[start + 3] === 0x61 &&
      buf[start + 4] === COLON
    ) {
      const from = start + 5 < end && buf[start + 5] === SPACE ? start + 6 : start + 5;
      value = buf.toString("utf8", from, end);
      this.data = this.data === undefined ? value : `${this.data}\n${value}`;
      return;
    }
    // Searched within the line only: past its end the search would cost the rest of the buffer.
    let colon = start;
    while (colon < end && buf[colon] !== COLON) colon++;
    const name = buf.toString("utf8", start, colon);
    if (name !== "event" && name !== "data") return;
    const from = colon + 1 < end && buf[colon + 1] === SPACE ? colon + 2 : colon + 1;
    value = from >= end ? "" : buf.toString("utf8", from, end);
    if (name === "event") this.event = value;
    else this.data = this.data === undefined ? value : `${this.data}\n${value}`;
  }
}
