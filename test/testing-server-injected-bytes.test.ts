import { type IncomingMessage, request as httpRequest } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { settled } from "./helpers/event-loop.js";
import { rawText, readStream, streamReader, tokensOf } from "./helpers/sse-reader.js";
import { post, start } from "./helpers/testing-client.js";

describe("injected bytes", () => {
  test("inject writes its bytes raw between two token events and the stream then continues to [DONE]", async () => {
    await start({ tokens: ["a", "b"], inject: { afterTokens: 1, bytes: "data: {not json\n\n" } });
    const { events, chunks, error } = await readStream(
      await post("/completions", { prompt: "x", stream: true }),
    );
    expect(error).toBeUndefined();
    expect(events[1]).toBe("{not json");
    const others = events.filter((data) => data !== "{not json");
    expect(tokensOf(others)).toEqual(["a", "b"]);
    expect(others.at(-1)).toBe("[DONE]");
    expect(rawText(chunks)).toMatch(/"finish_reason":null}\]}\n\ndata: {not json\n\ndata: {"id"/);
  });

  test('inject with then "end" ends the body cleanly right after its bytes, which may be a Uint8Array', async () => {
    await start({
      tokens: ["a", "b"],
      inject: { afterTokens: 1, bytes: new TextEncoder().encode("data: cut mid-li"), after: "end" },
    });
    const { events, chunks, error } = await readStream(
      await post("/completions", { prompt: "x", stream: true }),
    );
    expect(error).toBeUndefined();
    expect(tokensOf(events)).toEqual(["a"]);
    expect(rawText(chunks).endsWith("}]}\n\ndata: cut mid-li")).toBe(true);
  });

  test('inject with then "stall" sends its bytes and then nothing until the server closes', async () => {
    const s = await start({
      tokens: ["a", "b"],
      inject: { afterTokens: 1, bytes: "data: injected\n\n", after: "stall" },
    });
    const stream = streamReader(await post("/completions", { prompt: "x", stream: true }));
    await stream.until((events) => events.includes("injected"));
    await settled();
    expect(s.tokensSent()).toBe(1);
    expect(s.bytesSent()).toBe(stream.state.bytes);
    await s.close();
    const { events, error } = await stream.rest();
    expect(error).toBeInstanceOf(Error);
    expect(events.slice(1)).toEqual(["injected"]);
  });

  test("an injection comes before a drop due after the same token, and past the last token it comes after the last", async () => {
    const first = await start({
      tokens: ["a", "b"],
      inject: { afterTokens: 1, bytes: "data: first\n\n" },
      dropAfterTokens: 1,
    });
    const dropped = await readStream(await post("/completions", { prompt: "x", stream: true }));
    expect(dropped.error).toBeInstanceOf(Error);
    expect(dropped.events.slice(1)).toEqual(["first"]);
    await first.close();

    await start({ tokens: ["a", "b"], inject: { afterTokens: 9, bytes: "data: late\n\n" } });
    const late = await readStream(await post("/completions", { prompt: "x", stream: true }));
    expect(late.events.slice(2, 3)).toEqual(["late"]);
    expect(late.events.at(-1)).toBe("[DONE]");
  });

  test("a 16 MiB line without a break stops at what the socket buffers hold while the client pauses, then arrives whole", async () => {
    const size = 16 * 2 ** 20;
    const bytes = `data: ${"x".repeat(size)}`;
    const s = await start({ tokens: ["a"], inject: { afterTokens: 0, bytes, after: "end" } });
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = httpRequest(
        `${s.url}/completions`,
        { method: "POST", headers: { "content-type": "application/json" } },
        resolve,
      );
      request.on("error", reject);
      request.end(JSON.stringify({ prompt: "x", stream: true }));
    });
    // Nobody reads the response yet: wait until the server can send no more.
    let previous = -1;
    while (s.bytesSent() !== previous) {
      previous = s.bytesSent();
      await sleep(50);
    }
    const whilePaused = s.bytesSent();
    expect(whilePaused).toBeGreaterThan(0);
    expect(whilePaused).toBeLessThan(bytes.length);

    let received = 0;
    let tail = "";
    response.on("data", (chunk: Buffer) => {
      received += chunk.byteLength;
      tail = (tail + chunk.toString("latin1")).slice(-16);
    });
    await new Promise((resolve) => response.once("end", resolve));
    expect(received).toBe(bytes.length);
    expect(tail).toBe("x".repeat(16));
    expect(s.bytesSent()).toBe(bytes.length);
  });
});
