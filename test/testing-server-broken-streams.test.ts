import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { activeTimers } from "./helpers/event-loop.js";
import { first } from "./helpers/order.js";
import { jsonEvents, readStream, tokensOf } from "./helpers/sse-reader.js";
import { abortablePost, PROMPT, post, start } from "./helpers/testing-client.js";

describe("streaming faults", () => {
  test("dropAfterTokens makes the client's body read fail after exactly that many tokens", async () => {
    const s = await start({ tokens: ["a", "b", "c", "d"], dropAfterTokens: 2 });
    const response = await post("/completions", { prompt: "x", stream: true });
    expect(response.status).toBe(200);
    const { events, error } = await readStream(response);
    expect(error).toBeInstanceOf(Error);
    expect(tokensOf(events)).toEqual(["a", "b"]);
    expect(events).not.toContain("[DONE]");
    await s.waitForConnections(0);
    expect(s.tokensSent()).toBe(2);
  });

  test("dropAfterTokens on a non-streamed request closes the connection without an answer", async () => {
    await start({ tokens: ["a", "b"], dropAfterTokens: 1 });
    await expect(post("/completions", { prompt: "x" })).rejects.toThrow();
  });

  test("malformedAfterTokens sends a data event that is not JSON and then ends the body cleanly", async () => {
    await start({ tokens: ["a", "b", "c"], malformedAfterTokens: 1 });
    const { events, error } = await readStream(
      await post("/chat/completions", { messages: [], stream: true }),
    );
    expect(error).toBeUndefined();
    expect(events.slice(1)).toEqual([expect.stringContaining('"a"'), "{not json"]);
  });

  test("errorChunkAfterTokens sends an error event after the tokens and then ends the body", async () => {
    await start({ tokens: ["a", "b", "c"], errorChunkAfterTokens: 2 });
    const { events, error } = await readStream(
      await post("/completions", { prompt: "x", stream: true }),
    );
    expect(error).toBeUndefined();
    expect(tokensOf(events.slice(0, -1))).toEqual(["a", "b"]);
    expect(JSON.parse(events.at(-1) ?? "")).toEqual({
      error: { message: expect.any(String), type: "server_error" },
    });
  });

  test("a fault threshold past the last token fires after the last token", async () => {
    await start({ tokens: ["a"], errorChunkAfterTokens: 10 });
    const { events } = await readStream(await post("/completions", { prompt: "x", stream: true }));
    expect(tokensOf(events)).toEqual(["a"]);
    expect(JSON.parse(events.at(-1) ?? "").error.type).toBe("server_error");
  });

  test("omitDone keeps the finish chunk but leaves out [DONE]", async () => {
    await start({ omitDone: true });
    const { events, error } = await readStream(
      await post("/completions", { prompt: PROMPT, stream: true }),
    );
    expect(error).toBeUndefined();
    expect(events).not.toContain("[DONE]");
    expect(jsonEvents(events).at(-1).choices[0].finish_reason).toBe("stop");
  });

  test("omitFinishReason leaves every finish_reason null but still ends with [DONE]", async () => {
    await start({ omitFinishReason: true });
    const { events } = await readStream(
      await post("/chat/completions", {
        messages: [{ role: "user", content: PROMPT }],
        stream: true,
      }),
    );
    expect(events.at(-1)).toBe("[DONE]");
    const reasons = jsonEvents(events).map((chunk) => chunk.choices[0].finish_reason);
    expect(reasons.every((reason) => reason === null)).toBe(true);
    expect(tokensOf(events).join("")).toBe(PROMPT);

    const whole = await (
      await post("/chat/completions", { messages: [{ role: "user", content: PROMPT }] })
    ).json();
    expect(whole.choices[0].finish_reason).toBeNull();
  });

  test("byteChunkSize splits multibyte characters across network chunks and the bytes still decode to the same text", async () => {
    const tokens = ["I ", "🌍", " ❤️ 👍🏽", " é"];
    await start({ tokens, byteChunkSize: 3 });
    const { events, chunks, error } = await readStream(
      await post("/completions", { prompt: "x", stream: true }),
    );
    expect(error).toBeUndefined();
    expect(tokensOf(events)).toEqual(tokens);
    expect(chunks.every((chunk) => chunk.byteLength <= 3 * 8)).toBe(true);
    const strict = new TextDecoder("utf-8", { fatal: true });
    const splitsACharacter = chunks.some((chunk) => {
      try {
        strict.decode(chunk);
        return false;
      } catch {
        return true;
      }
    });
    expect(splitsACharacter).toBe(true);
    const whole = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let offset = 0;
    for (const chunk of chunks) {
      whole.set(chunk, offset);
      offset += chunk.byteLength;
    }
    expect(strict.decode(whole)).toContain(JSON.stringify({ text: "🌍" }).slice(1, -1));
  });
});

describe("connections and cancellation", () => {
  test("aborting a slow stream closes its connection at once and stops the pending token timer", async () => {
    const s = await start({ delayMs: 5000 });
    const timersBefore = activeTimers();
    const { controller, reader } = await abortablePost("/chat/completions", {
      messages: [{ role: "user", content: PROMPT }],
      stream: true,
    });
    await reader?.read(); // the role chunk; the first token is 5 s away
    expect(s.openConnections()).toBe(1);
    // The server arms the token timer once its write of the role chunk returns, which can be after
    // the client has read the chunk: wait for it (the test's time limit bounds the wait).
    expect(await first({ armed: () => activeTimers() > timersBefore })).toBe("armed");
    controller.abort();
    await s.waitForConnections(0);
    expect(s.openConnections()).toBe(0);
    expect(s.tokensSent()).toBe(0);
    // At most as many as before the request: another test's idle-socket timer may have expired
    // meanwhile, but the 5 s token timer must be gone.
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });

  test("tokensSent stops growing once the client has gone away mid-stream", async () => {
    const s = await start({ tokens: Array.from({ length: 200 }, (_, i) => `t${i} `), delayMs: 5 });
    const { controller, reader } = await abortablePost("/completions", {
      prompt: "x",
      stream: true,
    });
    while (s.tokensSent() < 3) await reader?.read();
    controller.abort();
    await s.waitForConnections(0);
    const sent = s.tokensSent();
    await sleep(50);
    expect(s.tokensSent()).toBe(sent);
    expect(sent).toBeLessThan(200);
  });

  test("a delayMs function gets each token's index, so the first token can come at once and the next stall", async () => {
    const indices: number[] = [];
    const s = await start({
      tokens: ["a", "b"],
      delayMs: (index) => {
        indices.push(index);
        return index === 0 ? 0 : 5000;
      },
    });
    const { controller, reader } = await abortablePost("/completions", {
      prompt: "x",
      stream: true,
    });
    const first = new TextDecoder().decode((await reader?.read())?.value);
    expect(first).toContain('"text":"a"');
    expect(s.tokensSent()).toBe(1);
    expect(indices).toEqual([0, 1]);
    controller.abort();
    await s.waitForConnections(0);
    expect(s.tokensSent()).toBe(1);
  });

  test("waitForConnections resolves at once when there are already few enough connections", async () => {
    const s = await start();
    await expect(s.waitForConnections()).resolves.toBeUndefined();
    await expect(s.waitForConnections(5)).resolves.toBeUndefined();
  });

  test("close destroys open connections, can be called twice, and refuses further requests", async () => {
    const s = await start({ delayMs: 5000 });
    const response = await post("/completions", { prompt: PROMPT, stream: true });
    const pending = readStream(response);
    await s.close();
    expect(s.openConnections()).toBe(0);
    await expect(s.close()).resolves.toBeUndefined();
    expect((await pending).error).toBeInstanceOf(Error);
    await expect(fetch(`${s.url}/models`)).rejects.toThrow();
  });
});
