import { afterEach, expect, test } from "vitest";
import { registry, upstream } from "./helpers/fixtures.js";
import { endpoint, post } from "./helpers/http.js";

// Every request in flight listens on the server's shutdown signal until it ends. Twenty at once is
// an ordinary load, not a leak: Node must not print a MaxListenersExceededWarning for it.
const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);
afterEach(() => {
  process.off("warning", onWarning);
});

test("serveCompletion with 20 streams in flight at once prints no MaxListenersExceededWarning", async () => {
  process.on("warning", onWarning);
  const server = await upstream({ tokens: ["a", "b", "c"], delayMs: 50 });
  const api = await endpoint({ models: registry(server) });
  const bodies = await Promise.all(
    Array.from({ length: 20 }, async () => (await post(api, { query: "hi", stream: true })).text()),
  );
  expect(bodies).toEqual(Array(20).fill("data: a\r\n\r\ndata: b\r\n\r\ndata: c\r\n\r\n"));
  // A warning is emitted on the next tick of the listener being added: let any land.
  await new Promise((resolve) => setImmediate(resolve));
  expect(warnings.filter((warning) => warning.name === "MaxListenersExceededWarning")).toEqual([]);
});
