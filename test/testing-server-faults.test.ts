import { type IncomingMessage, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import {
  abortablePost,
  activeTimers,
  arrival,
  jsonEvents,
  PROMPT,
  post,
  rawText,
  readStream,
  settled,
  start,
  streamReader,
  tokensOf,
} from "./helpers/testing-client.js";

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
    expect(activeTimers()).toBeGreaterThan(timersBefore);
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

describe("bytesSent and split characters", () => {
  test("bytesSent adds up the bodies of every answer, streamed or not, errors included", async () => {
    const s = await start({ apiKey: "k" });
    const headers = { authorization: "Bearer k" };
    const whole = await post("/completions", { prompt: PROMPT }, { headers });
    const wholeBytes = Number(whole.headers.get("content-length"));
    await whole.arrayBuffer();
    expect(s.bytesSent()).toBe(wholeBytes);

    const streamed = await readStream(
      await post("/completions", { prompt: PROMPT, stream: true }, { headers }),
    );
    const streamedBytes = streamed.chunks.reduce((n, chunk) => n + chunk.byteLength, 0);
    const refused = await post("/completions", { prompt: PROMPT });
    const refusedBytes = (await refused.arrayBuffer()).byteLength;
    expect(refused.status).toBe(401);
    expect(s.bytesSent()).toBe(wholeBytes + streamedBytes + refusedBytes);
  });

  test("a character split between two tokens as lone UTF-16 surrogates reaches the openai client as two chunks, one half each", async () => {
    const s = await start({ tokens: ["\ud83c", "\udf89"] });
    const { chunks } = await readStream(await post("/completions", { prompt: "x", stream: true }));
    expect(rawText(chunks)).toContain('"text":"\\ud83c"');
    expect(rawText(chunks)).toContain('"text":"\\udf89"');

    const client = new OpenAI({ baseURL: s.url, apiKey: "x", maxRetries: 0 });
    const stream = await client.completions.create({
      model: "testing-model",
      prompt: "x",
      stream: true,
    });
    const texts: string[] = [];
    for await (const chunk of stream) texts.push(chunk.choices[0]?.text ?? "");
    expect(texts.filter((text) => text !== "")).toEqual(["\ud83c", "\udf89"]);
    expect(texts.join("")).toBe("🎉");
  });

  test("a per-request script can set the new faults, and its inject replaces the option's whole", async () => {
    const s = await start({
      tokens: ["a", "b"],
      inject: { afterTokens: 0, bytes: "data: base\n\n", after: "end" },
      script: (request) =>
        request.path.includes("chat")
          ? { inject: { afterTokens: 1, bytes: "data: chat\n\n" }, stallAfterTokens: 1 }
          : {},
    });
    const completion = await readStream(await post("/completions", { prompt: "x", stream: true }));
    expect(completion.events).toEqual(["base"]);

    const chat = streamReader(await post("/chat/completions", { messages: [], stream: true }));
    await chat.until((events) => events.includes("chat"));
    await s.close();
    const { events, error } = await chat.rest();
    expect(error).toBeInstanceOf(Error);
    expect(tokensOf(events.filter((data) => data !== "chat"))).toEqual(["a"]);
    expect(events.at(-1)).toBe("chat");
  });
});
