import { getEventListeners } from "node:events";
import { describe, expect, test } from "vitest";
import { completion, isCompletionError } from "../src/index.js";
import { failure, registry, sleep, upstream } from "./helpers/fixtures.js";
import { closedBeforeToken, settledBeforeToken } from "./helpers/order.js";

// The upstream sends its first token at once, then waits this long before each next one. Every
// cancellation must land before the upstream writes its second token.
const GAP_MS = 5_000;
const slow = {
  tokens: ["first", " second", " third"],
  delayMs: (index: number) => (index === 0 ? 0 : GAP_MS),
};

function timers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
}

describe.each([["test-completion"], ["test-chat"]])("cancelling a stream on %s", (model) => {
  test("breaking out of the loop closes the upstream socket before the next token", async () => {
    const server = await upstream(slow);
    const before = timers();
    for await (const token of completion({
      query: "q",
      stream: true,
      model,
      models: registry(server),
    })) {
      expect(token).toBe("first");
      // `break` runs the generator's `finally`, which aborts the request at once.
      break;
    }
    expect(await closedBeforeToken(server, 2)).toBe("closed");
    expect(server.tokensSent()).toBe(1);
    await sleep(20);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  test("calling the iterator's return() closes the upstream socket before the next token", async () => {
    const server = await upstream(slow);
    const iterator = completion({ query: "q", stream: true, model, models: registry(server) })[
      Symbol.asyncIterator
    ]();
    expect(await iterator.next()).toEqual({ value: "first", done: false });
    expect(await iterator.return?.()).toEqual({ value: undefined, done: true });
    expect(await closedBeforeToken(server, 2)).toBe("closed");
    expect(server.tokensSent()).toBe(1);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  test("aborting the signal mid-stream throws aborted and closes the socket before the next token", async () => {
    const server = await upstream(slow);
    const controller = new AbortController();
    const run = failure(async (received) => {
      for await (const token of completion({
        query: "q",
        stream: true,
        model,
        models: registry(server),
        signal: controller.signal,
      })) {
        received.push(token);
        setTimeout(() => controller.abort(new Error("user stop")), 10);
      }
    });
    expect(await settledBeforeToken(run, server, 2)).toBe("settled");
    const { error, tokens } = await run;
    expect(tokens).toEqual(["first"]);
    expect(error.code).toBe("aborted");
    expect(await closedBeforeToken(server, 2)).toBe("closed");
    expect(server.tokensSent()).toBe(1);
  });

  test("aborting the signal of stream: false rejects with aborted and closes the socket before the next token", async () => {
    const server = await upstream(slow);
    const controller = new AbortController();
    const pending = completion({
      query: "q",
      model,
      models: registry(server),
      signal: controller.signal,
    });
    while (server.tokensSent() < 1) await sleep(5);
    controller.abort();
    expect(await settledBeforeToken(pending, server, 2)).toBe("settled");
    const { error } = await failure(() => pending);
    expect(error.code).toBe("aborted");
    expect(await closedBeforeToken(server, 2)).toBe("closed");
  });

  test("aborting before the first token, while the request is in flight, closes the socket", async () => {
    const server = await upstream({ tokens: ["late"], delayMs: GAP_MS });
    const controller = new AbortController();
    const iterator = completion({
      query: "q",
      stream: true,
      model,
      models: registry(server),
      signal: controller.signal,
    })[Symbol.asyncIterator]();
    const first = iterator.next();
    while (server.requests.length < 1) await sleep(5);
    controller.abort();
    const outcome = await first.then(
      () => "resolved",
      (error: unknown) => (isCompletionError(error) ? error.code : String(error)),
    );
    expect(outcome).toBe("aborted");
    await server.waitForConnections(0);
    expect(server.tokensSent()).toBe(0);
  });

  test("a finished or abandoned run leaves no listener on the caller's signal", async () => {
    const server = await upstream({ tokens: ["a", "b", "c"] });
    const controller = new AbortController();
    const options = { query: "q", model, models: registry(server), signal: controller.signal };
    await completion(options);
    for await (const _ of completion({ ...options, stream: true })) {
      // read to the end
    }
    for await (const _ of completion({ ...options, stream: true })) break;
    await server.waitForConnections(0);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});
