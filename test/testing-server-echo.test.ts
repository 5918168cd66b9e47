import { describe, expect, test } from "vitest";
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
