import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import { rawText, readStream, streamReader, tokensOf } from "./helpers/sse-reader.js";
import { PROMPT, post, start } from "./helpers/testing-client.js";

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
