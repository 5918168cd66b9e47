import { connect } from "node:net";
import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import { activeTimers, settled } from "./helpers/event-loop.js";
import { jsonEvents, streamReader, tokensOf } from "./helpers/sse-reader.js";
import { arrival, PROMPT, post, start } from "./helpers/testing-client.js";

describe("stalls", () => {
  test("stallAfterTokens sends that many tokens, then nothing, and holds the connection open with no timer until the server closes", async () => {
    const s = await start({ tokens: ["a", "b", "c"], stallAfterTokens: 2 });
    const timersBefore = activeTimers();
    const response = await post("/completions", { prompt: "x", stream: true });
    expect(response.status).toBe(200);
    const stream = streamReader(response);
    await stream.until((events) => tokensOf(events).length === 2);
    await settled();
    expect(s.tokensSent()).toBe(2);
    expect(s.bytesSent()).toBe(stream.state.bytes);
    expect(s.openConnections()).toBe(1);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);

    await s.close();
    const { events, error } = await stream.rest();
    expect(error).toBeInstanceOf(Error);
    expect(tokensOf(events)).toEqual(["a", "b"]);
    expect(events).not.toContain("[DONE]");
    expect(jsonEvents(events).every((chunk) => chunk.choices[0].finish_reason === null)).toBe(true);
  });

  test("stallAfterTokens 0 sends a chat stream's headers and not one byte more, until the openai client aborts", async () => {
    const s = await start({ stallAfterTokens: 0 });
    const timersBefore = activeTimers();
    const client = new OpenAI({ baseURL: s.url, apiKey: "x", maxRetries: 0 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "testing-model", messages: [{ role: "user", content: PROMPT }], stream: true },
      { signal: controller.signal },
    );
    const next = stream[Symbol.asyncIterator]().next();
    await settled();
    expect(s.bytesSent()).toBe(0);
    expect(s.openConnections()).toBe(1);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);

    controller.abort();
    // openai-node's stream iterator ends quietly when its request is aborted.
    await expect(next).resolves.toEqual({ done: true, value: undefined });
    await s.waitForConnections(0);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });

  test("stallAfterTokens on a non-streamed request generates that many tokens and never answers while the client waits", async () => {
    const { arrived, script } = arrival();
    const s = await start({
      tokens: ["a", "b", "c"],
      stallAfterTokens: 2,
      script,
    });
    const client = new OpenAI({ baseURL: s.url, apiKey: "x", maxRetries: 0 });
    const controller = new AbortController();
    const answer = client.completions.create(
      { model: "testing-model", prompt: PROMPT },
      { signal: controller.signal },
    );
    await arrived;
    await settled();
    expect(s.tokensSent()).toBe(2);
    expect(s.bytesSent()).toBe(0);
    expect(s.openConnections()).toBe(1);

    controller.abort();
    await expect(answer).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
    await s.waitForConnections(0);
    expect(s.tokensSent()).toBe(2);
  });

  test("stallBeforeHeaders reads the request and sends not even a status line, whatever the script's status, until the server closes", async () => {
    const { arrived, script } = arrival();
    const s = await start({
      status: 500,
      stallBeforeHeaders: true,
      script,
    });
    const timersBefore = activeTimers();
    const body = JSON.stringify({ prompt: "x", stream: true });
    const socket = connect(s.port, "127.0.0.1");
    const received: Buffer[] = [];
    socket.on("data", (data: Buffer) => received.push(data));
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.write(
      `POST /v1/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    await arrived;
    await settled();
    expect(s.requests).toHaveLength(1);
    expect(s.openConnections()).toBe(1);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);

    await s.close();
    await closed;
    expect(Buffer.concat(received).byteLength).toBe(0);
    expect(s.bytesSent()).toBe(0);
  });

  test("a streamed request stalled before its headers ends, leaving no connection, when the openai client aborts", async () => {
    const { arrived, script } = arrival();
    const s = await start({ stallBeforeHeaders: true, script });
    const client = new OpenAI({ baseURL: s.url, apiKey: "x", maxRetries: 0 });
    const controller = new AbortController();
    const created = client.chat.completions.create(
      { model: "testing-model", messages: [{ role: "user", content: PROMPT }], stream: true },
      { signal: controller.signal },
    );
    await arrived;
    controller.abort();
    await expect(created).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
    await s.waitForConnections(0);
    expect(s.bytesSent()).toBe(0);
  });
});
