/**
 * When the scripted delays and faults of an answer are due, and how the server waits them out:
 * every wait ends when the request's signal aborts, so that nothing outlives a request.
 *
 * @packageDocumentation
 */

import { setTimeout as sleep } from "node:timers/promises";
import type { TestingScript } from "./script.js";

/** The fault a script asks for once `written` of `total` tokens are out, if any. */
export type Fault = "drop" | "malformed" | "error";

/**
 * The fault due after `written` tokens. A threshold past the last token fires after the last token,
 * so a scripted fault always happens. When several are due at once, `drop` wins over `malformed`,
 * which wins over `error`.
 *
 * @param script - the merged script
 * @param written - tokens generated so far
 * @param total - tokens the answer has
 * @returns the fault to act on now, or `undefined`
 * @example
 * ```ts
 * faultAt({ dropAfterTokens: 5 }, 2, 2); // "drop": the answer ran out of tokens first
 * ```
 */
export function faultAt(script: TestingScript, written: number, total: number): Fault | undefined {
  const due = (after: number | undefined) =>
    after !== undefined && written === Math.min(Math.max(0, after), total);
  if (due(script.dropAfterTokens)) return "drop";
  if (due(script.malformedAfterTokens)) return "malformed";
  if (due(script.errorChunkAfterTokens)) return "error";
  return undefined;
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
