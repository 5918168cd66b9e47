import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { LLMResult } from "@langchain/core/outputs";
import { finishReasonOfResult } from "./run/chunks.js";

/** Options of {@link AsyncIteratorCallbackHandler}. */
export interface AsyncIteratorCallbackHandlerOptions {
  /**
   * Characters of unread tokens past which `handleLLMNewToken` waits for the consumer to read, so
   * that the model stops pulling its stream and TCP pushes back on the endpoint.
   * @defaultValue `1048576` (~1 MiB of text)
   */
  maxBufferedChars?: number;
}

type Waiter = {
  resolve: (result: IteratorResult<string>) => void;
  reject: (error: unknown) => void;
};

/**
 * The port of LangChain Python's `AsyncIteratorCallbackHandler`, corrected: a queue with three exits
 * — next token, done, error — so that no token is lost when the end and a token arrive together
 * (the original's `asyncio.wait(FIRST_COMPLETED)` race dropped the rest of the queue), a model or
 * chain error rejects the iteration instead of ending it quietly, and the owner can {@link close} it
 * so that a failure before the model starts ends the iteration instead of hanging.
 *
 * Handlers run awaited (`_awaitHandler: true`, as LangChain core's `EventStreamCallbackHandler`
 * does) so tokens are queued in the order the model produced them. Empty tokens (OpenAI's final and
 * usage chunks) are skipped.
 *
 * Bounded: once `maxBufferedChars` of tokens wait unread, `handleLLMNewToken` returns a promise
 * that settles when the consumer has read half of them (or the handler is closed), and the model
 * waits for it — chat models await their token callbacks, and so does every model inside
 * {@link createCompletionChain}. (LangChain's completions `OpenAI` does not await them when run
 * through its own `.stream()`/`.invoke()`: there the queue can outgrow the bound.)
 *
 * One consumer: {@link aiter} may be called once. Calls of its `next()` may overlap (`Promise.all`
 * of two); they are answered in the order they were made.
 *
 * @example
 * ```ts
 * const handler = new AsyncIteratorCallbackHandler();
 * const run = chain.invoke({ input: "hi" }, { callbacks: [handler] }).then(
 *   () => handler.close(),
 *   (error) => handler.close(error),
 * );
 * for await (const token of handler.aiter()) process.stdout.write(token);
 * await run;
 * ```
 */
export class AsyncIteratorCallbackHandler extends BaseCallbackHandler {
  name = "AsyncIteratorCallbackHandler";

  private readonly queue: string[] = [];
  private head = 0;
  /** Calls of `next()` waiting for a token, oldest first. */
  private readonly waiters: Waiter[] = [];
  private finished = false;
  private failure: { error: unknown } | undefined;
  private iterating = false;
  private buffered = 0;
  private readonly maxBuffered: number;
  /** `handleLLMNewToken` calls waiting for the consumer to read. */
  private room: (() => void)[] = [];

  /** @param options - `maxBufferedChars` */
  constructor(options: AsyncIteratorCallbackHandlerOptions = {}) {
    super({ _awaitHandler: true });
    this.maxBuffered = options.maxBufferedChars ?? 1_048_576;
  }

  /** Queues a non-empty token; past the bound, resolves only when the consumer has caught up. */
  override handleLLMNewToken(token: string): Promise<void> | void {
    if (token === "" || this.finished) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: token, done: false });
      return;
    }
    this.queue.push(token);
    this.buffered += token.length;
    if (this.buffered <= this.maxBuffered) return;
    return new Promise((resolve) => this.room.push(resolve));
  }

  private release(): void {
    for (const resolve of this.room.splice(0)) resolve();
  }

  /**
   * The finish reason the model reported at its end (`"stop"`, `"length"`…): `undefined` before
   * the end, `null` when the model reported none.
   */
  finishReason: string | null | undefined = undefined;

  /** The model finished: the iteration ends once the queued tokens are read. */
  override handleLLMEnd(output?: LLMResult): void {
    if (output !== undefined) this.finishReason = finishReasonOfResult(output);
    this.close();
  }

  /** The model failed: the iteration throws `error` once the queued tokens are read. */
  override handleLLMError(error: unknown): void {
    this.close(error);
  }

  /** The outermost chain failed (nested chains may be retried by fallbacks, so only the root counts). */
  override handleChainError(error: unknown, _runId: string, parentRunId?: string): void {
    if (parentRunId === undefined) this.close(error);
  }

  /**
   * Ends the iteration: after the queued tokens, normally or — with `error` — by throwing it. Only
   * the first call counts. Owners call it when the run settles, so the iteration can never outlive
   * the run (the original hung forever when the chain failed before the model started).
   *
   * @param error - the failure to rethrow from the iterator, if any
   */
  close(error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
    if (error !== undefined) this.failure = { error };
    // Waiters exist only when the queue is empty: the first gets the error (thrown once), the
    // rest the end.
    for (const waiter of this.waiters.splice(0)) {
      const failure = this.failure;
      this.failure = undefined;
      if (failure) waiter.reject(failure.error);
      else waiter.resolve({ value: undefined, done: true });
    }
  }

  /** True once the handler has been closed (by the model's end, an error, or its owner). */
  get done(): boolean {
    return this.finished;
  }

  private next(): Promise<IteratorResult<string>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head] as string;
      this.head += 1;
      this.buffered -= value.length;
      if (this.room.length > 0 && this.buffered <= this.maxBuffered / 2) this.release();
      // Compact now and then so a 10,000-token stream does not keep every token alive.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.finished) {
      if (this.failure) {
        const { error } = this.failure;
        this.failure = undefined; // thrown once; later calls report done
        return Promise.reject(error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
    });
  }

  /**
   * The tokens, in order, until the model ends or fails or {@link close} is called. Returning early
   * (`break`) closes the handler; stopping the run that feeds it is the owner's job (abort its signal).
   */
  aiter(): AsyncIterableIterator<string> {
    if (this.iterating)
      throw new Error("AsyncIteratorCallbackHandler.aiter() may be called only once");
    this.iterating = true;
    const iterator: AsyncIterableIterator<string> = {
      next: () => this.next(),
      return: async () => {
        this.close();
        this.queue.length = 0;
        this.head = 0;
        this.buffered = 0;
        this.failure = undefined;
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
