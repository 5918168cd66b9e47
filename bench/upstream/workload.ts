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
  /** Answer with this HTTP status and an error body instead of tokens (soak run's 502s). */
  status?: number;
  /** Close the connection after this many tokens, mid-body (soak run). */
  dropAfter?: number;
  /** Make every token about this many UTF-8 bytes long (soak run's 100 MB answer); see {@link tokenAt}. */
  tokenBytes?: number;
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

/**
 * Distinct long tokens, for `tokenBytes`: a prime number of them, cycled, so that a lost,
 * repeated or swapped token changes the answer's checksum while the upstream keeps ~1 MB of
 * strings rather than one string per token (100,000 of them would be 100 MB in the upstream).
 */
const LONG_PERIOD = 997;
const longTokens = new Map<number, string[]>();

function longTokenAt(index: number, bytes: number): string {
  let tokens = longTokens.get(bytes);
  if (tokens === undefined) {
    tokens = Array.from({ length: LONG_PERIOD }, (_, n) => {
      let token = `<${n}>`;
      for (let i = n; Buffer.byteLength(token) < bytes; i++) token += PIECES[i % PIECES.length];
      return token;
    });
    longTokens.set(bytes, tokens);
  }
  return tokens[index % LONG_PERIOD] as string;
}

/** Token `index` of every benchmark answer; about `tokenBytes` long when that is given. */
export function tokenAt(index: number, tokenBytes?: number): string {
  if (tokenBytes !== undefined) return longTokenAt(index, tokenBytes);
  return `${PIECES[index % PIECES.length]}${index % 7 === 0 ? String(index % 100) : ""}`;
}

/** The whole answer the upstream sends for `workload`, to check that a stream arrived complete. */
export function expectedText(workload: Workload): string {
  let text = "";
  for (let index = 0; index < workload.tokens; index++) {
    text += tokenAt(index, workload.tokenBytes);
  }
  return text;
}

/** The prompt that asks for `workload`. */
export function workloadPrompt(workload: Workload): string {
  const stall = workload.stallMs === undefined ? "" : ` stall=${workload.stallMs}`;
  const track = workload.track ? " track=1" : "";
  const status = workload.status === undefined ? "" : ` status=${workload.status}`;
  const drop = workload.dropAfter === undefined ? "" : ` drop=${workload.dropAfter}`;
  const bytes = workload.tokenBytes === undefined ? "" : ` bytes=${workload.tokenBytes}`;
  return `bench tokens=${workload.tokens} delay=${workload.delayMs}${stall}${track}${status}${drop}${bytes}`;
}

const PATTERN =
  /bench tokens=(\d+) delay=(\d+)(?: stall=(\d+))?( track=1)?(?: status=(\d+))?(?: drop=(\d+))?(?: bytes=(\d+))?/;

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
  if (match[5] !== undefined) workload.status = Number(match[5]);
  if (match[6] !== undefined) workload.dropAfter = Number(match[6]);
  if (match[7] !== undefined) workload.tokenBytes = Number(match[7]);
  return workload;
}
