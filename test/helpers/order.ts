import type { TestingServer } from "../../src/testing/index.js";
import { sleep } from "./fixtures.js";

/**
 * Waits for whichever of the named conditions holds first and returns its name; when several hold
 * at the same check, the first named wins. Polls every 5 ms (the testing server has no event for a
 * written token) and leaves no timer behind once it returns.
 */
export async function first<K extends string>(conditions: Record<K, () => boolean>): Promise<K> {
  const entries = Object.entries(conditions) as [K, () => boolean][];
  for (;;) {
    for (const [name, holds] of entries) if (holds()) return name;
    await sleep(5);
  }
}

/** A condition that holds once `promise` has settled, either way. */
export function settled(promise: Promise<unknown>): () => boolean {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  return () => done;
}

/**
 * Whether `server` closed every connection before writing its `n`th token: `"closed"`, or
 * `"token n written"` when the token came first (or both are seen at one check, as the token
 * may have come first). Use it once a request is open.
 */
export function closedBeforeToken(server: TestingServer, n: number) {
  return first({
    [`token ${n} written`]: () => server.tokensSent() >= n,
    closed: () => server.openConnections() === 0,
  });
}

/** Whether `promise` settled before `server` wrote its `n`th token: `"settled"` or `"token n written"`. */
export function settledBeforeToken(promise: Promise<unknown>, server: TestingServer, n: number) {
  return first({
    [`token ${n} written`]: () => server.tokensSent() >= n,
    settled: settled(promise),
  });
}
