/**
 * The time limit of a run's waits on the endpoint: one timer for the whole run, re-armed only when
 * it fires, so a token costs a `performance.now()`, not a `setTimeout`. Only waits count: between
 * {@link Deadline.stop} and the next {@link Deadline.start} (the consumer holding the run back) the
 * clock does not run.
 */
export class Deadline {
  /** When the current wait began (`performance.now()`), or -1 when not waiting. */
  private since = -1;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  /**
   * @param ms - the longest a wait may last
   * @param expire - called once when a wait lasts `ms`
   */
  constructor(
    private readonly ms: number,
    private readonly expire: () => void,
  ) {}

  /** A wait begins, unless one is already running. */
  start(): void {
    if (this.since < 0) this.since = performance.now();
    if (this.timer === undefined && !this.disposed) this.arm(this.ms);
  }

  /** Something arrived (not yet what the consumer waits for): a new wait begins now. */
  restart(): void {
    this.since = performance.now();
  }

  /** The wait is over. */
  stop(): void {
    this.since = -1;
  }

  /** No more waits: the timer goes. */
  dispose(): void {
    this.disposed = true;
    this.since = -1;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  // The timer reaches the deadline through a `WeakRef`, so an armed timer does not keep a run
  // that its consumer dropped alive.
  private arm(ms: number): void {
    const ref = new WeakRef(this);
    this.timer = setTimeout(() => ref.deref()?.fire(), Math.max(1, Math.ceil(ms)));
    this.timer.unref?.();
  }

  private fire(): void {
    this.timer = undefined;
    if (this.disposed || this.since < 0) return; // not waiting: the next wait arms it again
    const left = this.since + this.ms - performance.now();
    if (left > 0) {
      this.arm(left);
      return;
    }
    this.dispose();
    this.expire();
  }
}
