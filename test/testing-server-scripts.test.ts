import { describe, expect, test } from "vitest";
import { jsonEvents, readStream, tokensOf } from "./helpers/sse-reader.js";
import { post, start } from "./helpers/testing-client.js";

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
