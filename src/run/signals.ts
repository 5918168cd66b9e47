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

/**
 * The links following one source, behind one listener of its own. A signal many runs follow at once
 * (a server's shutdown signal, an application's) would otherwise get one listener per run, and
 * `EventTarget` walks its whole listener list on every add and remove: a cost each request paid
 * before its upstream call, growing with the requests in flight.
 */
interface Followers {
  links: Set<SignalLink>;
  listener: () => void;
}

const followed = new WeakMap<AbortSignal, Followers>();

function follow(source: AbortSignal, link: SignalLink): void {
  let followers = followed.get(source);
  if (followers === undefined) {
    const links = new Set<SignalLink>();
    const listener = () => {
      followed.delete(source);
      // A copy: a link told of the abort stops following (and leaves the set) as it is told.
      for (const each of [...links]) each.sourceAborted();
    };
    followers = { links, listener };
    followed.set(source, followers);
    source.addEventListener("abort", listener, { once: true });
  }
  followers.links.add(link);
}

function unfollow(source: AbortSignal, link: SignalLink): void {
  const followers = followed.get(source);
  if (followers === undefined || !followers.links.delete(link)) return;
  if (followers.links.size > 0) return;
  followed.delete(source);
  source.removeEventListener("abort", followers.listener);
}

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
  private readonly target: WeakRef<AbortTarget>;
  private following = false;
  /**
   * The run's signal's `aborted`, kept here: only this link aborts it, and `run.next()` asks on every
   * token, where the getters (`controller.signal`, `signal.aborted`, each with its brand check) cost
   * ~0.4 µs a token on Node 20 under load (a CPU profile of 500 streams).
   */
  private isAborted = false;

  /**
   * @param sources - the signals to follow; `undefined` entries are skipped
   * @param target - told when a source aborts first (held weakly)
   */
  constructor(sources: readonly (AbortSignal | undefined)[], target: AbortTarget) {
    this.target = new WeakRef(target);
    dropped.register(target, this, this);
    for (const source of sources) {
      if (source === undefined || this.sources.includes(source)) continue;
      this.sources.push(source);
      if (source.aborted) {
        this.isAborted = true;
        this.controller.abort(source.reason);
        return;
      }
    }
    if (this.sources.length === 0) return;
    this.following = true;
    for (const source of this.sources) follow(source, this);
  }

  /** @internal A followed source aborted: the run is told, or — collected already — aborted here. */
  sourceAborted(): void {
    if (!this.following) return;
    const reason = this.sources.find((source) => source.aborted)?.reason;
    const run = this.target.deref();
    if (run === undefined) this.abort(reason);
    else run.sourceAborted(reason);
  }

  /** The run's own signal: aborted by any source, by a time limit, or by the run's end. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the run's signal is aborted: by a source, a time limit or the run's end. */
  get aborted(): boolean {
    return this.isAborted;
  }

  /** True when a source (not the run itself) was aborted first. */
  get sourceWasAborted(): boolean {
    return this.sources.some((source) => source.aborted);
  }

  /** Aborts the run's signal (closing the upstream request) and stops listening to the sources. */
  abort(reason: unknown): void {
    if (!this.isAborted) {
      this.isAborted = true;
      this.controller.abort(reason);
    }
    this.dispose();
  }

  /** Removes every listener this link added. Idempotent. */
  dispose(): void {
    dropped.unregister(this);
    if (!this.following) return;
    this.following = false;
    for (const source of this.sources) unfollow(source, this);
  }
}
