import { ChatOpenAI, OpenAI as LangChainOpenAI } from "@langchain/openai";
import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import type { TestingServer } from "../src/testing/index.js";
import { PROMPT, start } from "./helpers/testing-client.js";

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
