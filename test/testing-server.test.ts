import { ChatOpenAI, OpenAI as LangChainOpenAI } from "@langchain/openai";
import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import type { TestingServer } from "../src/testing/index.js";
import { jsonEvents, readStream, tokensOf } from "./helpers/sse-reader.js";
import { PROMPT, post, start } from "./helpers/testing-client.js";

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
