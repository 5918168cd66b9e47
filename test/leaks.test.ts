import { getEventListeners } from "node:events";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, test } from "vitest";
import { completion } from "../src/index.js";
import type { TestingServer } from "../src/testing/index.js";
import { collect, registry, sleep, upstream } from "./helpers/fixtures.js";
import { endpoint } from "./helpers/http.js";

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
 * Bytes of heap each call of `withSignal` leaves reachable beyond what a call of `without` leaves,
 * where the two differ only in the long-lived signal. A plain per-call figure is no good: V8 keeps
 * compiling and optimising the path for thousands of calls (heap snapshots show only `code` and
 * deopt data growing: ~1 KB a call after 300 calls on Node 20, ~0.5 KB after 3,000 on Node 22), and
 * that drift is the same for both. Measured A B B A, so a drift linear in time cancels out. The
 * testing server records every request, so its log is emptied before each measurement.
 */
async function retainedBySignal(
  server: TestingServer,
  withSignal: (index: number) => Promise<unknown>,
  without: (index: number) => Promise<unknown>,
): Promise<number> {
  const n = 600;
  const measure = async (run: (index: number) => Promise<unknown>) => {
    server.requests.length = 0;
    const before = await heap();
    for (let index = 0; index < n; index += 1) await run(index);
    server.requests.length = 0;
    return (await heap()) - before;
  };
  for (let index = 0; index < 600; index += 1) await withSignal(index);
  for (let index = 0; index < 600; index += 1) await without(index);
  const a1 = await measure(withSignal);
  const b1 = await measure(without);
  const b2 = await measure(without);
  const a2 = await measure(withSignal);
  return (a1 + a2 - b1 - b2) / (2 * n);
}

/** One run of a mix: streamed, whole, left early, failed upstream. */
function mixedRun(server: TestingServer, signal: AbortSignal | undefined) {
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

/** A streamed chat completion of "q" on `server`, listening on `signal`, as an iterator. */
function chatStream(server: TestingServer, signal: AbortSignal) {
  const options = { query: "q", model: "test-chat", models: registry(server), signal };
  return completion({ ...options, stream: true })[Symbol.asyncIterator]();
}

describe("a long-lived signal", () => {
  test("completion() leaves nothing reachable from it per run: the post-GC heap does not grow with the number of runs", async () => {
    const server = await upstream({
      script: (request) =>
        JSON.stringify(request.body).includes("fail") ? { status: 500 } : { tokens: ["a", " b"] },
    });
    const caller = new AbortController();
    const measure = () =>
      retainedBySignal(server, mixedRun(server, caller.signal), mixedRun(server, undefined));
    // Before the run owner, ~2 KB a run stayed reachable from the caller's signal, in every
    // measurement. A quiet run measures ~200 B; on a loaded machine one measurement in many has
    // read over 1 KB, so an answer over the line is measured once more and the smaller one counts.
    let perRun = await measure();
    if (perRun >= 400) perRun = Math.min(perRun, await measure());
    expect(perRun).toBeLessThan(400);
  }, 240_000);

  test("a run listens on the caller's signal once while it is in flight, and not at all once it has ended", async () => {
    const server = await upstream({ tokens: ["a", " b", " c"], delayMs: 20 });
    const caller = new AbortController();
    const listeners = () => getEventListeners(caller.signal, "abort").length;
    const iterator = chatStream(server, caller.signal);
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

  test("runs in flight on one signal share one listener on it, and its abort stops every one of them", async () => {
    const server = await upstream({ tokens: ["a", " b", " c"], stallAfterTokens: 1 });
    const shared = new AbortController();
    const listeners = () => getEventListeners(shared.signal, "abort").length;
    const iterators = Array.from({ length: 5 }, () => chatStream(server, shared.signal));
    for (const iterator of iterators) await iterator.next();
    expect(server.openConnections()).toBe(5);
    expect(listeners()).toBe(1);
    await iterators[0]?.return?.();
    expect(listeners()).toBe(1); // the others still follow it
    shared.abort(new Error("shutting down"));
    const outcomes = await Promise.all(
      iterators.slice(1).map((iterator) =>
        iterator.next().then(
          (result) => (result.done ? "done" : "token"),
          (error: unknown) => (error as { code?: string }).code,
        ),
      ),
    );
    expect(outcomes).toEqual(["aborted", "aborted", "aborted", "aborted"]);
    await server.waitForConnections(0);
    expect(listeners()).toBe(0);
  });

  test("a stream dropped unfinished, without return() or break, closes its upstream request once collected", async () => {
    const server = await upstream({ tokens: ["a", " b", " c"], stallAfterTokens: 1 });
    const caller = new AbortController();
    await (async () => {
      await chatStream(server, caller.signal).next(); // one token, then the iterator is forgotten
    })();
    expect(server.openConnections()).toBe(1);
    while (server.openConnections() > 0) await heap();
    expect(getEventListeners(caller.signal, "abort")).toHaveLength(0);
  });

  test("serve leaves nothing reachable per request: the post-GC heap does not grow with the number of requests", async () => {
    const server = await upstream({
      script: (request) => {
        const body = JSON.stringify(request.body);
        if (body.includes("fail")) return { status: 500 };
        if (body.includes("drop")) return { tokens: ["a", " b"], dropAfterTokens: 1 };
        if (body.includes("leave")) return { tokens: ["a", " b"], stallAfterTokens: 1 };
        return { tokens: ["a", " b"] };
      },
    });
    // Mostly answers, streamed and whole; then a refusal (422), a failed upstream (502), a dropped
    // upstream and a client that leaves.
    const bodies = [
      { query: "a b", stream: true },
      { query: "a b", stream: false },
      { query: "a b", stream: true },
      { query: "a b", stream: false },
      { query: "a b", temperature: 3 },
      { query: "fail", stream: true },
      { query: "drop", stream: true },
      { query: "leave", stream: true },
    ];
    const api = await endpoint({ models: registry(server) });
    const request = async (index: number) => {
      const body = bodies[index % bodies.length] as { query: string };
      const client = new AbortController();
      const response = await fetch(`${api.url}/other/completion`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model_name: "test-chat", ...body }),
        signal: client.signal,
      });
      if (body.query !== "leave") return void (await response.text());
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      client.abort();
      await reader.read().catch(() => {});
    };
    for (let index = 0; index < 3_000; index += 1) await request(index);
    server.requests.length = 0;
    const before = await heap();
    for (let index = 0; index < 2_000; index += 1) await request(index);
    server.requests.length = 0;
    const perRequest = ((await heap()) - before) / 2_000;
    // Measured on this mix: before the run owner ~1.1 KB a request stayed reachable under Node 20
    // (`npm run bench -- --soak` measures it too); now ~0 on Node 20 and ~0.5 KB on Node 22, which
    // is V8 still compiling the path after 3,000 requests (heap snapshots show only code growing).
    expect(perRequest).toBeLessThan(800);
  }, 120_000);
});
