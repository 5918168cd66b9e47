/**
 * What one benchmark request asks the upstream for, carried in the prompt itself. Every client
 * under test (raw SDK, LangChain, AI SDK, completion(), the HTTP endpoint) delivers the prompt text
 * to the upstream unchanged or wrapped (the AI SDK's completion model sends `user:\n<prompt>\n\n…`),
 * so the upstream finds the workload with a regex search and needs no per-variant side channel.
 *
 * @packageDocumentation
 */

/** Tokens to send and how to pace them. */
export interface Workload {
  /** Tokens in the answer. */
  tokens: number;
  /** Delay before every token, ms; `0` sends flat out. */
  delayMs: number;
  /**
   * Send the first token at once, then wait this long before each next one (abort measurements).
   * Overrides `delayMs`.
   */
  stallMs?: number;
  /** Ask the upstream to record its own send times (concurrency run), to separate its timer lag. */
  track?: boolean;
}

/**
 * Mixed English and Chinese pieces, as a Chatchat answer has; several are multibyte in UTF-8. No
 * line breaks: the endpoint's default SSE framing is the original's, which cannot carry a lone `\r`.
 */
const PIECES = [
  " The",
  " quick",
  " answer",
  "恼",
  "羞",
  "成",
  "怒",
  ",",
  " model",
  " streams",
  "。",
];

/** Token `index` of every benchmark answer. */
export function tokenAt(index: number): string {
  return `${PIECES[index % PIECES.length]}${index % 7 === 0 ? String(index % 100) : ""}`;
}

/** The whole answer the upstream sends for `workload`, to check that a stream arrived complete. */
export function expectedText(workload: Workload): string {
  let text = "";
  for (let index = 0; index < workload.tokens; index++) text += tokenAt(index);
  return text;
}

/** The prompt that asks for `workload`. */
export function workloadPrompt(workload: Workload): string {
  const stall = workload.stallMs === undefined ? "" : ` stall=${workload.stallMs}`;
  const track = workload.track ? " track=1" : "";
  return `bench tokens=${workload.tokens} delay=${workload.delayMs}${stall}${track}`;
}

const PATTERN = /bench tokens=(\d+) delay=(\d+)(?: stall=(\d+))?( track=1)?/;

/**
 * The workload a prompt asks for, found anywhere in the text.
 *
 * @returns `undefined` when the prompt asks for none
 */
export function parseWorkload(prompt: string): Workload | undefined {
  const match = PATTERN.exec(prompt);
  if (match === null) return undefined;
  const workload: Workload = { tokens: Number(match[1]), delayMs: Number(match[2]) };
  if (match[3] !== undefined) workload.stallMs = Number(match[3]);
  if (match[4] !== undefined) workload.track = true;
  return workload;
}
