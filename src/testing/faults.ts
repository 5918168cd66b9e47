/**
 * When the scripted delays and faults of an answer are due, and how the server waits them out:
 * every wait ends when the request's signal aborts, so that nothing outlives a request.
 *
 * @packageDocumentation
 */

import { setTimeout as sleep } from "node:timers/promises";
import type { TestingScript } from "./script.js";

/** The fault a script asks for once `written` of `total` tokens are out, if any. */
export type Fault = "drop" | "malformed" | "error" | "stall";

/** What `inject` asks for. */
export type Injection = NonNullable<TestingScript["inject"]>;

/** A threshold past the last token counts as right after it, so a scripted fault always happens. */
function dueAt(after: number | undefined, written: number, total: number): boolean {
  return after !== undefined && written === Math.min(Math.max(0, after), total);
}

/**
 * The fault due after `written` tokens. A threshold past the last token fires after the last token,
 * so a scripted fault always happens. When several are due at once, `drop` wins over `malformed`,
 * which wins over `error`, which wins over `stall`. A non-streamed answer knows only `drop` and
 * `stall`: the others are events of a stream.
 *
 * @param script - the merged script
 * @param written - tokens generated so far
 * @param total - tokens the answer has
 * @param streamed - whether the answer is an event stream
 * @defaultValue `streamed`: `true`
 * @returns the fault to act on now, or `undefined`
 * @example
 * ```ts
 * faultAt({ dropAfterTokens: 5 }, 2, 2); // "drop": the answer ran out of tokens first
 * ```
 */
export function faultAt(
  script: TestingScript,
  written: number,
  total: number,
  streamed = true,
): Fault | undefined {
  if (dueAt(script.dropAfterTokens, written, total)) return "drop";
  if (streamed && dueAt(script.malformedAfterTokens, written, total)) return "malformed";
  if (streamed && dueAt(script.errorChunkAfterTokens, written, total)) return "error";
  if (dueAt(script.stallAfterTokens, written, total)) return "stall";
  return undefined;
}

/**
 * The injection due after `written` tokens, if any; it comes before any {@link faultAt} due then.
 *
 * @param script - the merged script
 * @param written - tokens sent so far
 * @param total - tokens the answer has
 * @example
 * ```ts
 * injectionAt({ inject: { afterTokens: 9, bytes: "x" } }, 2, 2); // the injection: past the end
 * ```
 */
export function injectionAt(
  script: TestingScript,
  written: number,
  total: number,
): Injection | undefined {
  return dueAt(script.inject?.afterTokens, written, total) ? script.inject : undefined;
}

/**
 * Waits for `signal` to abort, and for nothing else: no timer, so a stalled answer lasts exactly
 * as long as the client keeps its connection and the server stays open. Rejects with the abort
 * reason, which the server takes for "client gone"; the listener goes with the abort.
 *
 * @param signal - the request's signal
 * @example
 * ```ts
 * if (script.stallBeforeHeaders) return stall(signal);
 * ```
 */
export function stall(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    const gone = () => reject(signal.reason);
    if (signal.aborted) gone();
    else signal.addEventListener("abort", gone, { once: true });
  });
}

/**
 * Waits the scripted delay before token `index`; no timer at all for a zero delay. The timer is
 * cleared when `signal` aborts, so a client that goes away leaves nothing pending.
 *
 * @param script - the merged script
 * @param index - 0-based index of the token about to be sent
 * @param signal - the request's signal
 * @example
 * ```ts
 * await delayBefore({ delayMs: (i) => i * 10 }, 3, signal); // 30 ms
 * ```
 */
export async function delayBefore(
  script: TestingScript,
  index: number,
  signal: AbortSignal,
): Promise<void> {
  const ms = typeof script.delayMs === "function" ? script.delayMs(index) : script.delayMs;
  if (ms !== undefined && ms > 0) await sleep(ms, undefined, { signal });
}
