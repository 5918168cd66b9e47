import { describe, expect, test } from "vitest";
import { post, start } from "./helpers/testing-client.js";

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
