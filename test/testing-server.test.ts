import { type IncomingMessage, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createParser } from "eventsource-parser";
import { ChatOpenAI, OpenAI as LangChainOpenAI } from "@langchain/openai";
import OpenAI from "openai";
import { afterEach, describe, expect, test } from "vitest";
import {
  startOpenAICompatibleServer,
  type TestingScript,
  type TestingServer,
  type TestingServerOptions,
} from "../src/testing/index.js";

let server: TestingServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options?: TestingServerOptions): Promise<TestingServer> {
  server = await startOpenAICompatibleServer(options);
  return server;
}

function post(path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  if (!server) throw new Error("start the server first");
  return fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

interface ReadStream {
  /** `data` of every SSE event, in order. */
  events: string[];
  /** The raw network chunks as the client received them. */
  chunks: Uint8Array[];
  /** Set when reading the body failed. */
  error?: unknown;
}

/** POSTs `body` with a signal: the response body's reader, and the controller that aborts it. */
async function abortablePost(path: string, body: unknown) {
  const controller = new AbortController();
  const response = await post(path, body, { signal: controller.signal });
  return { controller, reader: response.body?.getReader() };
}

/** Reads a streamed body to its end (or failure), parsing SSE with eventsource-parser. */
async function readStream(response: Response): Promise<ReadStream> {
  const events: string[] = [];
  const chunks: Uint8Array[] = [];
  const parser = createParser({
    onEvent(event) {
      events.push(event.data);
    },
  });
  const decoder = new TextDecoder();
  const body = response.body;
  if (!body) throw new Error("response has no body");
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
    return { events, chunks };
  } catch (error) {
    return { events, chunks, error };
  }
}

// biome-ignore lint/suspicious/noExplicitAny: stream chunks are checked field by field below
type Chunk = any;

function jsonEvents(events: string[]): Chunk[] {
  return events.filter((data) => data !== "[DONE]").map((data) => JSON.parse(data));
}

/** The text carried by completion (`text`) or chat (`delta.content`) chunks. */
function tokensOf(events: string[]): string[] {
  return jsonEvents(events)
    .flatMap((chunk) => chunk.choices ?? [])
    .map((choice: Chunk) => choice.text ?? choice.delta?.content ?? "")
    .filter((token: string) => token !== "");
}

/** Reads a streamed body bit by bit, so that a test can stop at a point and look at the server. */
function streamReader(response: Response) {
  const body = response.body;
  if (!body) throw new Error("response has no body");
  const reader = body.getReader();
  const state: ReadStream & { bytes: number } = { events: [], chunks: [], bytes: 0 };
  const parser = createParser({
    onEvent(event) {
      state.events.push(event.data);
    },
  });
  const decoder = new TextDecoder();
  const until = async (done: (events: string[]) => boolean): Promise<void> => {
    while (!done(state.events)) {
      const { done: ended, value } = await reader.read();
      if (ended) return;
      state.chunks.push(value);
      state.bytes += value.byteLength;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  };
  return {
    state,
    /** Reads until `done(events)` holds or the body ends. */
    until,
    /** Reads to the end of the body or its failure. */
    async rest(): Promise<ReadStream & { bytes: number }> {
      await until(() => false).catch((error: unknown) => {
        state.error = error;
      });
      return state;
    },
  };
}

/** The raw bytes of a body as text. */
function rawText(chunks: Uint8Array[]): string {
  return Buffer.concat(chunks).toString("utf8");
}

/** A per-request script that changes nothing but tells when a request reached it, body read. */
function arrival(): { arrived: Promise<void>; script: () => TestingScript } {
  let seen!: () => void;
  const arrived = new Promise<void>((resolve) => {
    seen = resolve;
  });
  return {
    arrived,
    script: () => {
      seen();
      return {};
    },
  };
}

/** Until the microtasks queued so far, and the ones they queue, have run. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

const PROMPT = "hello big world";

describe("default echo", () => {
  test("a non-streamed completion echoes the prompt with usage and finish_reason stop", async () => {
    await start();
    const response = await post("/completions", { model: "m", prompt: PROMPT });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = await response.json();
    expect(body).toMatchObject({
      object: "text_completion",
      model: "m",
      choices: [{ text: PROMPT, index: 0, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
    });
    expect(body.id).toEqual(expect.any(String));
    expect(body.created).toEqual(expect.any(Number));
  });

  test("a streamed completion sends one chunk per word with its leading space, a finish chunk and [DONE]", async () => {
    await start();
    const response = await post("/completions", { prompt: PROMPT, stream: true });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const { events, error } = await readStream(response);
    expect(error).toBeUndefined();
    expect(tokensOf(events)).toEqual(["hello", " big", " world"]);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = jsonEvents(events);
    expect(chunks.slice(0, 3).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    expect(chunks.at(-1)).toMatchObject({
      object: "text_completion",
      model: "testing-model",
      choices: [{ text: "", index: 0, logprobs: null, finish_reason: "stop" }],
    });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  test("a completion prompt given as an array echoes its first element", async () => {
    await start();
    const response = await post("/completions", { prompt: [PROMPT, "other"] });
    expect((await response.json()).choices[0].text).toBe(PROMPT);
  });

  test("echo tokens keep leading, inner and trailing whitespace so that they concatenate to the prompt", async () => {
    await start();
    const prompt = "  two  spaces\nand a line break ";
    const { events } = await readStream(await post("/completions", { prompt, stream: true }));
    expect(tokensOf(events).join("")).toBe(prompt);
    expect(tokensOf(events)[0]).toBe("  two");
  });

  test("a non-streamed chat completion answers with the last message's content", async () => {
    await start();
    const messages = [
      { role: "system", content: "be brief" },
      { role: "user", content: PROMPT },
    ];
    const body = await (await post("/chat/completions", { model: "m", messages })).json();
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "m",
      choices: [
        { index: 0, message: { role: "assistant", content: PROMPT }, finish_reason: "stop" },
      ],
      usage: { completion_tokens: 3 },
    });
  });

  test("a chat message given as content parts is echoed as its joined text parts", async () => {
    await start();
    const content = [
      { type: "text", text: "hello" },
      { type: "image_url", image_url: { url: "data:," } },
      { type: "text", text: " world" },
    ];
    const body = await (
      await post("/chat/completions", { messages: [{ role: "user", content }] })
    ).json();
    expect(body.choices[0].message.content).toBe("hello world");
  });

  test("a streamed chat completion starts with the assistant role, sends content deltas, a finish chunk and [DONE]", async () => {
    await start();
    const messages = [{ role: "user", content: PROMPT }];
    const { events } = await readStream(
      await post("/chat/completions", { messages, stream: true }),
    );
    const chunks = jsonEvents(events);
    expect(chunks[0]).toMatchObject({
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
    });
    expect(chunks.slice(1, 4).map((c) => c.choices[0].delta)).toEqual([
      { content: "hello" },
      { content: " big" },
      { content: " world" },
    ]);
    expect(chunks.at(-1).choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    expect(events.at(-1)).toBe("[DONE]");
  });

  test("include_usage adds a usage chunk with no choices just before [DONE]", async () => {
    await start();
    for (const path of ["/completions", "/chat/completions"]) {
      const body = {
        prompt: PROMPT,
        messages: [{ role: "user", content: PROMPT }],
        stream: true,
        stream_options: { include_usage: true },
      };
      const { events } = await readStream(await post(path, body));
      expect(events.at(-1)).toBe("[DONE]");
      expect(JSON.parse(events.at(-2) ?? "")).toMatchObject({
        choices: [],
        usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
      });
    }
  });

  test("without include_usage no chunk carries usage", async () => {
    await start();
    const { events } = await readStream(
      await post("/completions", { prompt: PROMPT, stream: true }),
    );
    expect(jsonEvents(events).some((chunk) => "usage" in chunk)).toBe(false);
  });
});

describe("scripts", () => {
  test("scripted tokens replace the echo and finishReason sets the finish_reason", async () => {
    await start({ tokens: ["a", "b"], finishReason: "length" });
    const { events } = await readStream(await post("/completions", { prompt: "x", stream: true }));
    expect(tokensOf(events)).toEqual(["a", "b"]);
    expect(jsonEvents(events).at(-1).choices[0].finish_reason).toBe("length");
  });

  test("a tokens function receives the recorded request", async () => {
    await start({ tokens: (request) => [String((request.body as { model: string }).model)] });
    const body = await (await post("/completions", { model: "picked", prompt: "x" })).json();
    expect(body.choices[0].text).toBe("picked");
  });

  test("the per-request script is merged over the options and leaves unset fields alone", async () => {
    await start({
      tokens: ["base"],
      finishReason: "length",
      script: (request) => (request.path.includes("chat") ? { tokens: ["chat"] } : {}),
    });
    const completion = await (await post("/completions", { prompt: "x" })).json();
    const chat = await (
      await post("/chat/completions", { messages: [{ role: "user", content: "x" }] })
    ).json();
    expect(completion.choices[0]).toMatchObject({ text: "base", finish_reason: "length" });
    expect(chat.choices[0]).toMatchObject({
      message: { content: "chat" },
      finish_reason: "length",
    });
  });

  test("every request is recorded in order with method, path without query, headers and parsed body", async () => {
    const s = await start();
    await post("/completions?x=1", { prompt: "one" }, { headers: { "x-test": "yes" } });
    await fetch(`${s.url}/models`);
    expect(s.requests.map((r) => [r.method, r.path])).toEqual([
      ["POST", "/v1/completions"],
      ["GET", "/v1/models"],
    ]);
    expect(s.requests[0]?.headers["x-test"]).toBe("yes");
    expect(s.requests[0]?.body).toEqual({ prompt: "one" });
    expect(s.requests[1]?.body).toBeUndefined();
  });
});

describe("routes and errors", () => {
  test("GET /v1/models lists the testing model", async () => {
    const s = await start();
    const body = await (await fetch(`${s.url}/models`)).json();
    expect(body).toEqual({
      object: "list",
      data: [{ id: "testing-model", object: "model", owned_by: "completion-chain" }],
    });
  });

  test("an unknown route gets a 404 with an OpenAI-style error body", async () => {
    const s = await start();
    const response = await fetch(`${s.url}/embeddings`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect((await response.json()).error).toMatchObject({
      message: expect.any(String),
      type: "invalid_request_error",
      code: null,
    });
  });

  test("a body that is not JSON gets a 400 with an OpenAI-style error body", async () => {
    await start();
    const response = await post("/chat/completions", "{not json");
    expect(response.status).toBe(400);
    expect((await response.json()).error.type).toBe("invalid_request_error");
  });

  test.each([
    [429, "requests", "rate_limit_exceeded"],
    [500, "server_error", null],
    [503, "server_error", null],
  ])(
    "a scripted status %i answers with that status and an error body of type %s",
    async (status, type, code) => {
      await start({ status });
      const response = await post("/chat/completions", {
        messages: [{ role: "user", content: "x" }],
        stream: true,
      });
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(await response.json()).toEqual({
        error: { message: expect.any(String), type, code },
      });
    },
  );

  test("with an apiKey a wrong or missing key gets a 401 that does not repeat the key", async () => {
    const s = await start({ apiKey: "sk-right" });
    const wrong = await post(
      "/completions",
      { prompt: "x" },
      {
        headers: { authorization: "Bearer sk-wrong-secret" },
      },
    );
    expect(wrong.status).toBe(401);
    const text = await wrong.text();
    expect(text).not.toContain("sk-wrong-secret");
    expect(text).not.toContain("sk-right");
    expect(JSON.parse(text).error).toMatchObject({ code: "invalid_api_key" });

    const missing = await fetch(`${s.url}/models`);
    expect(missing.status).toBe(401);
    expect((await missing.json()).error.type).toBe("invalid_request_error");

    const right = await post(
      "/completions",
      { prompt: "x" },
      {
        headers: { authorization: "Bearer sk-right" },
      },
    );
    expect(right.status).toBe(200);
  });
});

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

/** Timers that keep the process alive (unref'd ones are not listed). */
function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length;
}

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

describe("the openai SDK as a client", () => {
  function client(s: TestingServer, apiKey = "x"): OpenAI {
    return new OpenAI({ baseURL: s.url, apiKey, maxRetries: 0 });
  }

  test("openai streams a chat completion from the server", async () => {
    const s = await start({ apiKey: "x" });
    const stream = await client(s).chat.completions.create({
      model: "testing-model",
      messages: [{ role: "user", content: PROMPT }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finishReason: string | null | undefined;
    let totalTokens: number | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
      totalTokens = chunk.usage?.total_tokens ?? totalTokens;
    }
    expect(text).toBe(PROMPT);
    expect(finishReason).toBe("stop");
    expect(totalTokens).toBe(6);
    expect(s.requests[0]?.headers.authorization).toBe("Bearer x");
  });

  test("openai streams and fetches a completion from the server", async () => {
    const s = await start();
    const stream = await client(s).completions.create({
      model: "testing-model",
      prompt: PROMPT,
      stream: true,
    });
    const tokens: string[] = [];
    for await (const chunk of stream) tokens.push(chunk.choices[0]?.text ?? "");
    expect(tokens.join("")).toBe(PROMPT);

    const whole = await client(s).completions.create({ model: "testing-model", prompt: PROMPT });
    expect(whole.choices[0]?.text).toBe(PROMPT);
  });

  test("openai rejects with an APIError for an error chunk and for a scripted status", async () => {
    const s = await start({ errorChunkAfterTokens: 1 });
    const stream = await client(s).chat.completions.create({
      model: "testing-model",
      messages: [{ role: "user", content: PROMPT }],
      stream: true,
    });
    await expect(async () => {
      for await (const _ of stream) {
        // drain
      }
    }).rejects.toBeInstanceOf(OpenAI.APIError);
    await s.close();

    const failing = await start({ status: 500 });
    await expect(
      client(failing).completions.create({ model: "testing-model", prompt: "x" }),
    ).rejects.toMatchObject({ status: 500, type: "server_error" });
  });
});

describe("LangChain's OpenAI models as clients", () => {
  const fields = (s: TestingServer) => ({
    model: "testing-model",
    apiKey: "x",
    maxRetries: 0,
    configuration: { baseURL: s.url },
  });

  test("ChatOpenAI streams the echoed message and invokes without streaming", async () => {
    const s = await start();
    const chat = new ChatOpenAI(fields(s));
    let text = "";
    for await (const chunk of await chat.stream(PROMPT)) text += String(chunk.content);
    expect(text).toBe(PROMPT);
    expect((await chat.invoke("one two")).content).toBe("one two");
    // ChatOpenAI asks for usage when streaming; the server honours it.
    expect(s.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test("LangChain's completions OpenAI streams a string prompt and invokes with an array prompt", async () => {
    const s = await start();
    const llm = new LangChainOpenAI(fields(s));
    const tokens: string[] = [];
    for await (const token of await llm.stream(PROMPT)) tokens.push(token);
    expect(tokens.join("")).toBe(PROMPT);
    expect(await llm.invoke("x y")).toBe("x y");
    expect(s.requests[1]?.body).toMatchObject({ prompt: ["x y"] });
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
    await start({
      tokens: ["a", "b"],
      inject: { afterTokens: 1, bytes: "data: first\n\n" },
      dropAfterTokens: 1,
    });
    const dropped = await readStream(await post("/completions", { prompt: "x", stream: true }));
    expect(dropped.error).toBeInstanceOf(Error);
    expect(dropped.events.slice(1)).toEqual(["first"]);
    await server?.close();

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
    await start({
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
    await server?.close();
    const { events, error } = await chat.rest();
    expect(error).toBeInstanceOf(Error);
    expect(tokensOf(events.filter((data) => data !== "chat"))).toEqual(["a"]);
    expect(events.at(-1)).toBe("chat");
  });
});
