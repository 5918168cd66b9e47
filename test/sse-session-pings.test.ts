// When the first ping is what sent the headers (the model was slower than the ping interval), that
// ping is the first frame: a token that arrived meanwhile must not overtake it. Under CI's load the
// two came in one turn of the event loop, and the ping went out after the token.
import { expect, test } from "vitest";
import { sessionOver } from "./helpers/sse-session.js";

test("a ping already due when the body starts is written at once, before a token that is ready", async () => {
  const tokens = ["late"];
  const iterator: AsyncIterator<string> = {
    next: async () =>
      tokens.length > 0
        ? { value: tokens.shift() as string, done: false }
        : { value: undefined, done: true },
  };
  // The request arrived 150 ms ago: the first ping was due 50 ms ago.
  const session = sessionOver(iterator, { pingIntervalMs: 100, started: performance.now() - 150 });
  const frames: string[] = [];
  session.attach({ write: (frame) => frames.push(frame), close: () => {}, backedUp: () => false });
  while (await session.pull()) {}
  expect(frames).toHaveLength(2);
  expect(frames[0]).toMatch(/^: ping - /);
  expect(frames[1]).toBe("data: late\r\n\r\n");
});
