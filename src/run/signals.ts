/**
 * One abort signal for one run, following every signal the run must obey — the caller's, the one a
 * LangChain parent run passed down, a server's shutdown signal — and removing each listener it added
 * when the run ends.
 *
 * Why not `AbortSignal.any()`: on Node 20 the composites this package made per run with it stayed
 * reachable (test/leaks.test.ts and `npm run bench -- --soak` measure the heap per request). And why
 * never the caller's signal itself: openai-node v6 adds a `once` abort listener to the signal it is
 * given and never removes it (`fetchWithTimeout` in `client.js`), so the SDK only ever sees this
 * per-run signal, which dies with the run.
 *
 * @packageDocumentation
 */

import { CompletionError } from "../errors.js";

// A run dropped unfinished by its consumer (no `return()`, no `break`) would keep its upstream
// request open and its listeners on long-lived signals; when it is collected, both go.
const dropped = new FinalizationRegistry<SignalLink>((link) => {
  link.abort(new CompletionError("aborted", "The completion's iterator was dropped unfinished"));
});

/** What a source's abort does to the run: told through a weak reference, see {@link SignalLink}. */
export interface AbortTarget {
  /** A source aborted; `reason` is its reason. */
  sourceAborted(reason: unknown): void;
}

/**
 * The signal of one run and the listeners that feed it. It holds no strong reference to the run it
 * serves: a long-lived source must not keep a run (and its model stream) alive after its consumer
 * dropped it, so the listener reaches the run through a `WeakRef`, and a run collected unfinished is
 * aborted and cleaned up from a finalizer.
 */
export class SignalLink {
  private readonly controller = new AbortController();
  private readonly sources: AbortSignal[] = [];
  private listener: (() => void) | undefined;

  /**
   * @param sources - the signals to follow; `undefined` entries are skipped
   * @param target - told when a source aborts first (held weakly)
   */
  constructor(sources: readonly (AbortSignal | undefined)[], target: AbortTarget) {
    const ref = new WeakRef(target);
    dropped.register(target, this, this);
    for (const source of sources) {
      if (source === undefined || this.sources.includes(source)) continue;
      this.sources.push(source);
      if (source.aborted) {
        this.controller.abort(source.reason);
        return;
      }
    }
    if (this.sources.length === 0) return;
    const listener = () => {
      const aborted = this.sources.find((source) => source.aborted);
      const reason = aborted?.reason;
      const run = ref.deref();
      if (run === undefined) this.abort(reason);
      else run.sourceAborted(reason);
    };
    this.listener = listener;
    for (const source of this.sources) source.addEventListener("abort", listener, { once: true });
  }

  /** The run's own signal: aborted by any source, by a time limit, or by the run's end. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True when a source (not the run itself) was aborted first. */
  get sourceWasAborted(): boolean {
    return this.sources.some((source) => source.aborted);
  }

  /** Aborts the run's signal (closing the upstream request) and stops listening to the sources. */
  abort(reason: unknown): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
    this.dispose();
  }

  /** Removes every listener this link added. Idempotent. */
  dispose(): void {
    dropped.unregister(this);
    const listener = this.listener;
    if (listener === undefined) return;
    this.listener = undefined;
    for (const source of this.sources) source.removeEventListener("abort", listener);
  }

  /** Listeners still registered on the sources (0 once disposed); for tests. */
  get listening(): boolean {
    return this.listener !== undefined;
  }
}
