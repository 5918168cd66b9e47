/** Readers of `completion({ stream: true })` for a LangGraph node or a RunnableLambda to call. */
import { type CompletionError, completion, isCompletionError } from "../../src/index.js";
import type { TestingServer } from "../../src/testing/index.js";
import { registry } from "./fixtures.js";
import { TokenRecorder } from "./token-recorder.js";

/** What a node or lambda saw of its completion: its tokens, and the error that ended it. */
export interface Seen {
  tokens: string[];
  error: CompletionError | undefined;
  /** Resolves when the completion inside has ended, however it ended. */
  done: Promise<void>;
}

/**
 * A function that reads `completion({ stream: true })` with `options`, recording what it sees; with
 * `breakAfterFirst`, it leaves the loop after the first token.
 */
export function reader(
  options: () => Parameters<typeof completion>[0],
  breakAfterFirst = false,
): { seen: Seen; read: (query: string) => Promise<string> } {
  let finished: () => void = () => {};
  const seen: Seen = {
    tokens: [],
    error: undefined,
    done: new Promise<void>((resolve) => {
      finished = resolve;
    }),
  };
  const read = async (query: string) => {
    try {
      for await (const token of completion({ ...options(), query, stream: true })) {
        seen.tokens.push(token);
        if (breakAfterFirst) break;
      }
      return seen.tokens.join("");
    } catch (error) {
      if (isCompletionError(error)) seen.error = error;
      throw error;
    } finally {
      finished();
    }
  };
  return { seen, read };
}

/**
 * A reader of `model` on `server` whose completion has a TokenRecorder of its own (`own`) among its
 * callbacks, plus a second recorder (`outer`) for the host's callbacks.
 */
export function recordingReader(server: TestingServer, model: string) {
  const own = new TokenRecorder();
  const outer = new TokenRecorder();
  const { read } = reader(() => ({ query: "", model, models: registry(server), callbacks: [own] }));
  return { own, outer, read };
}
