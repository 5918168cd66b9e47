import { getEventListeners } from "node:events";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, test } from "vitest";
import { createCompletionHandler } from "../src/http/index.js";
import { completion } from "../src/index.js";
import type { TestingServer } from "../src/testing/index.js";
import { collect, registry, sleep, upstream } from "./helpers/fixtures.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** The post-GC heap, settled: finalizers and weak-reference cleanup get their turns. */
async function heap(): Promise<number> {
  for (let round = 0; round < 4; round += 1) {
    gc();
    await sleep(10);
  }
  return process.memoryUsage().heapUsed;
}

/**
 * Bytes of heap each call of `run` leaves reachable, over `n` calls after a warm-up. The warm-up is
 * long because V8 keeps compiling and optimising the path for the first few thousand calls: with
 * 300 calls of warm-up, ~1 KB a call of compiled code and deopt data still appears (heap snapshots
 * show only `code` growing), with 3,000 nothing does. The testing server records every request, so
 * its log is emptied before each measurement.
 */
async function retainedPerRun(
  server: TestingServer,
  n: number,
  run: (index: number) => Promise<unknown>,
): Promise<number> {
  for (let index = 0; index < 3_000; index += 1) await run(index);
  server.requests.length = 0;
  const before = await heap();
  for (let index = 0; index < n; index += 1) await run(index);
  server.requests.length = 0;
  return ((await heap()) - before) / n;
}

/** One run of a mix: streamed, whole, left early, failed upstream. */
function mixedRun(server: TestingServer, signal: AbortSignal) {
  const models = registry(server);
  return async (index: number) => {
    const model = index % 2 === 0 ? "test-chat" : "test-completion";
    switch (index % 4) {
      case 0:
        return collect(completion({ query: "a b c", stream: true, model, models, signal }));
      case 1:
        return completion({ query: "a b c", model, models, signal });
      case 2:
        for await (const _ of completion({ query: "a b c", stream: true, model, models, signal })) {
          break;
        }
        return;
      default:
        return completion({ query: "fail", model, models, signal }).catch(() => {});
    }
  };
}

describe("a long-lived signal", () => {
  test("completion() leaves nothing reachable from it per run: the post-GC heap does not grow with the number of runs", async () => {
    const server = await upstream({
      script: (request) =>
        JSON.stringify(request.body).includes("fail") ? { status: 500 } : { tokens: ["a", " b"] },
    });
    const caller = new AbortController();
    const perRun = await retainedPerRun(server, 1_500, mixedRun(server, caller.signal));
    // Before the run owner, ~2 KB a run stayed reachable from the caller's signal.
    expect(perRun).toBeLessThan(400);
  }, 120_000);

  test("a run listens on the caller's signal once while it is in flight, and not at all once it has ended", async () => {
    const server = await upstream({ tokens: ["a", " b", " c"], delayMs: 20 });
    const caller = new AbortController();
    const listeners = () => getEventListeners(caller.signal, "abort").length;
    const iterator = completion({
      query: "q",
      stream: true,
      model: "test-chat",
      models: registry(server),
      signal: caller.signal,
    })[Symbol.asyncIterator]();
    await iterator.next();
    expect(listeners()).toBe(1);
    await iterator.return?.();
    expect(listeners()).toBe(0);
    await completion({
      query: "q",
      model: "test-chat",
      models: registry(server),
      signal: caller.signal,
    });
    expect(listeners()).toBe(0);
  });

  test("a stream dropped unfinished, without return() or break, closes its upstream request once collected", async () => {
    const server = await upstream({ tokens: ["a", " b", " c"], stallAfterTokens: 1 });
    const caller = new AbortController();
    await (async () => {
      const iterator = completion({
        query: "q",
        stream: true,
        model: "test-chat",
        models: registry(server),
        signal: caller.signal,
      })[Symbol.asyncIterator]();
      await iterator.next(); // one token, then the iterator is forgotten
    })();
    expect(server.openConnections()).toBe(1);
    while (server.openConnections() > 0) await heap();
    expect(getEventListeners(caller.signal, "abort")).toHaveLength(0);
  });

  test("the HTTP handler leaves nothing reachable from its shutdown signal per request", async () => {
    const server = await upstream({
      script: (request) =>
        JSON.stringify(request.body).includes("fail") ? { status: 500 } : { tokens: ["a", " b"] },
    });
    const shutdown = new AbortController();
    const handler = createCompletionHandler({ models: registry(server), signal: shutdown.signal });
    const bodies = [
      { query: "a b", stream: true },
      { query: "a b", stream: false },
      { query: "a b", temperature: 3 },
      { query: "fail", stream: true },
    ];
    const perRequest = await retainedPerRun(server, 1_500, async (index) => {
      const response = await handler(
        new Request("http://127.0.0.1/other/completion", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model_name: "test-chat", ...bodies[index % 4] }),
        }),
      );
      await response.text();
    });
    expect(perRequest).toBeLessThan(400);
    expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(0);
  }, 120_000);
});
