/** What is pending in the test's own process: its microtasks, and its timers. */

/** Until the microtasks queued so far, and the ones they queue, have run. */
export const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Timers that keep the process alive (unref'd ones are not listed). */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length;
}
