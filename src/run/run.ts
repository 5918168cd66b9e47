/**
 * The owner of one model run, from its first token to its end: the signals it obeys, the time it
 * may wait on the endpoint, the pulling of chunks, the finish reason and the mapping of every failure
 * to a {@link CompletionError}. `completion()`, the chain and the HTTP endpoint all read their tokens
 * from a {@link CompletionRun}.
 *
 * It pulls: a chunk is taken from the model's stream only when its consumer asks for the next
 * token, so a consumer that stops reading holds no buffer here; the model's SDK stops reading its
 * socket and TCP pushes back on the endpoint (test/backpressure.test.ts).
 *
 * @packageDocumentation
 */

import type { RunnableConfig } from "@langchain/core/runnables";
import { CompletionError } from "../errors.js";
import { secretsOf } from "../model-secrets.js";
import { ChainRunReport } from "./chain-run-report.js";
import { textOf } from "./chunks.js";
import { concatenate } from "./consume.js";
import { Deadline } from "./deadline.js";
import { isRequestTimeout, runFailure } from "./failures.js";
import { FinishCheck } from "./finish-check.js";
import { endpointOf, timeoutOf } from "./langchain-private.js";
import { startModelStream } from "./model-stream.js";
import type { RunPlan } from "./plan.js";
import { type AbortTarget, SignalLink } from "./signals.js";
import { SurrogateJoiner } from "./surrogates.js";

type Waiter = {
  resolve: (result: IteratorResult<string>) => void;
  reject: (error: unknown) => void;
};

const DONE: IteratorResult<string> = Object.freeze({ value: undefined, done: true });

/**
 * One model run as an async iterator of non-empty tokens, readable once. Leaving early (`return()`)
 * or any of its signals aborting closes the upstream request at once; a wait on the endpoint longer
 * than the plan's `timeout` fails it with `upstream_timeout`; a stream that ends without the finish
 * reason its model reports fails with `upstream_incomplete`; every listener and timer it added is
 * gone when it ends, however it ends.
 */
export class CompletionRun implements AsyncIterableIterator<string>, AbortTarget {
  private done = false;
  private source: AsyncIterator<unknown> | undefined;
  private sourceEnded = false;
  private waiter: Waiter | undefined;
  /** The promise of the latest call that waited, for calls that overlap it. */
  private last: Promise<IteratorResult<string>> | undefined;
  private readonly deadline: Deadline;
  private timedOut = false;
  /** A failure that ended the run while nobody was waiting: thrown by the next `next()`. */
  private failure: CompletionError | undefined;
  private echo: string;
  private readonly surrogates = new SurrogateJoiner();
  private readonly report: ChainRunReport;
  private readonly finish = new FinishCheck();
  private secrets: readonly string[];
  private endpoint: string | undefined;
  private readonly link: SignalLink;

  constructor(private readonly plan: RunPlan) {
    this.echo = plan.echo;
    this.secrets = secretsOf(plan.model);
    this.endpoint = endpointOf(plan.model);
    this.report = new ChainRunReport(plan.chainRun);
    this.link = new SignalLink(plan.signals, this);
    const ref = new WeakRef(this);
    this.deadline = new Deadline(plan.timeout, () => ref.deref()?.expired());
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<string> {
    return this;
  }

  next(): Promise<IteratorResult<string>> {
    if (this.waiter !== undefined) {
      // Overlapping calls (`Promise.all` of two) are answered in the order they were made.
      const again = () => this.next();
      this.last = (this.last as Promise<IteratorResult<string>>).then(again, again);
      return this.last;
    }
    if (this.done) {
      const failure = this.failure;
      if (failure === undefined) return Promise.resolve(DONE);
      this.failure = undefined; // thrown once; later calls report the end
      return Promise.reject(failure);
    }
    if (this.link.aborted) {
      this.fail(this.failureOf(this.link.signal.reason));
      return this.next();
    }
    if (this.echo !== "") {
      const value = this.echo;
      this.echo = "";
      this.report.add(value);
      return Promise.resolve({ value, done: false });
    }
    this.last = new Promise<IteratorResult<string>>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.pull();
    });
    return this.last;
  }

  /** Leaving early: the upstream request is aborted at once, a waiting `next()` ends. */
  async return(): Promise<IteratorResult<string>> {
    if (!this.done) {
      const error = new CompletionError("aborted", "The consumer stopped reading the completion");
      this.close(error);
      this.answer(DONE);
      await new Promise<void>((resolve) => this.report.fail(error, resolve));
    }
    return DONE;
  }

  /** The whole answer: every token, concatenated. */
  text(): Promise<string> {
    return concatenate(this);
  }

  /** @internal called by the {@link SignalLink} when a source aborts. */
  sourceAborted(reason: unknown): void {
    if (this.done) {
      this.link.abort(reason);
      return;
    }
    this.fail(this.failureOf(reason));
  }

  private pull(): void {
    this.deadline.start();
    if (this.sourceEnded) {
      this.complete();
    } else if (this.source === undefined) {
      this.open().then(() => {
        if (this.done) void this.source?.return?.(undefined)?.catch(ignore);
        else this.pull();
      }, this.onSourceError);
    } else {
      this.source.next().then(this.onChunk, this.onSourceError);
    }
  }

  private async open(): Promise<void> {
    const config: RunnableConfig = { ...this.plan.config, signal: this.link.signal };
    const started = await startModelStream(
      this.plan.model,
      this.plan.input,
      config,
      this.plan.requireFinishReason,
    );
    if (started.model !== this.plan.model) {
      this.secrets = [...new Set([...this.secrets, ...secretsOf(started.model)])];
      this.endpoint ??= endpointOf(started.model);
    }
    this.finish.started(started);
    this.source = started.chunks;
  }

  private readonly onChunk = (result: IteratorResult<unknown>): void => {
    if (this.done) return; // ended while this chunk was on its way
    if (result.done) {
      this.sourceEnded = true;
      this.complete();
      return;
    }
    const chunk = result.value;
    this.finish.see(chunk);
    const text = this.surrogates.join(textOf(chunk));
    if (text === "") {
      // A chunk came (the wait is over) but no text: the role, finish and usage chunks.
      this.deadline.restart();
      (this.source as AsyncIterator<unknown>).next().then(this.onChunk, this.onSourceError);
      return;
    }
    this.report.add(text);
    this.deadline.stop();
    this.answer({ value: text, done: false });
  };

  private readonly onSourceError = (error: unknown): void => {
    if (this.done) return;
    this.fail(this.failureOf(error));
  };

  /** The model's stream ended: the held half-pair goes out, then the finish reason is checked. */
  private complete(): void {
    const value = this.surrogates.flush();
    if (value !== "") {
      this.deadline.stop();
      this.answer({ value, done: false });
      return;
    }
    const cutShort = this.finish.cutShort();
    if (cutShort !== undefined) {
      this.fail(cutShort);
      return;
    }
    this.dispose();
    this.done = true;
    this.report.end(() => this.answer(DONE));
  }

  /** Ends the run with `error`: the upstream request is aborted, the waiter (or the next call) gets it. */
  private fail(error: CompletionError): void {
    if (this.done) return;
    this.close(error);
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter === undefined) this.failure = error;
    this.report.fail(error, () => waiter?.reject(error));
  }

  /** Marks the run done, aborts the upstream request and lets go of everything it holds. */
  private close(reason: unknown): void {
    this.done = true;
    this.link.abort(reason);
    this.dispose();
    const source = this.source;
    this.source = undefined;
    void source?.return?.(undefined)?.catch(ignore);
  }

  private dispose(): void {
    this.deadline.dispose();
    this.link.dispose();
  }

  private answer(result: IteratorResult<string>): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve(result);
  }

  /** Why the run failed: its own time limit, one of its signals, or the model stack's error. */
  private failureOf(error: unknown): CompletionError {
    const aborted = this.link.sourceWasAborted || this.link.aborted;
    // A model whose own request timeout is the run's (a registry entry's `timeout` is both) bounds
    // the wait for the headers twice, with two timers due at once: whichever fires first, it is the
    // run's time limit that ran out.
    const timedOut =
      this.timedOut ||
      (isRequestTimeout(error) && timeoutOf(this.plan.model) === this.plan.timeout);
    return runFailure(error, {
      why: timedOut ? "timeout" : aborted ? "aborted" : "failed",
      reason: this.link.signal.reason,
      timeout: this.plan.timeout,
      secrets: this.secrets,
      endpoint: this.endpoint,
    });
  }

  private expired(): void {
    this.timedOut = true;
    this.fail(this.failureOf(undefined));
  }
}

function ignore(): void {}
