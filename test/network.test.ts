import { afterEach, describe, expect, test, vi } from "vitest";
import { completion } from "../src/index.js";
import { failure, registry, upstream } from "./helpers/fixtures.js";
import { guardNetwork, type NetworkGuard } from "./helpers/network-guard.js";

let guard: NetworkGuard | undefined;
afterEach(() => {
  guard?.restore();
  guard = undefined;
  vi.restoreAllMocks();
});

describe("network traffic", () => {
  test("a chat-model completion talks to its endpoint only, once a run, with the internet refused", async () => {
    const server = await upstream({ tokens: ["no", " tokenizer", " download"] });
    guard = guardNetwork();
    const whole = await completion({ query: "q", model: "test-chat", models: registry(server) });
    const streamed: string[] = [];
    for await (const token of completion({
      query: "q",
      model: "test-chat",
      models: registry(server),
      stream: true,
    })) {
      streamed.push(token);
    }
    expect(whole).toBe("no tokenizer download");
    expect(streamed.join("")).toBe(whole);
    // A tokenizer fetch would be recorded here: the guard refuses it on the spot, so it cannot hang.
    expect(guard.attempts).toEqual([]);
    // One request a run, both to the chat endpoint: no retry after a refused side fetch.
    expect(server.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      "POST /v1/chat/completions",
      "POST /v1/chat/completions",
    ]);
  });

  test("the guard refuses and records a fetch to a non-loopback host (control)", async () => {
    guard = guardNetwork();
    // Where LangChain's ChatOpenAI fetches its tokenizer from on a streaming invoke().
    await expect(fetch("https://tiktoken.pages.dev/js/cl100k_base.json")).rejects.toThrow();
    expect(guard.attempts).toEqual(["tiktoken.pages.dev"]);
  });
});

describe("API keys", () => {
  const KEY = "sk-test-SECRET-0123456789abcdef";

  test("a rejected key appears in no error message and no log output", async () => {
    const server = await upstream({ apiKey: "the-right-key" });
    const logged: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(" "));
      });
    }
    const models = registry(server, KEY);
    for (const model of ["test-completion", "test-chat"]) {
      const whole = await failure(() => completion({ query: "q", model, models }));
      const streamed = await failure(async () => {
        for await (const _ of completion({ query: "q", model, models, stream: true })) {
          // no tokens expected
        }
      });
      for (const { error } of [whole, streamed]) {
        expect(error).toMatchObject({ code: "upstream_error", status: 401 });
        expect(error.message).not.toContain(KEY);
        expect(String(error)).not.toContain(KEY);
        expect(JSON.stringify(error)).not.toContain(KEY);
      }
    }
    expect(logged.join("\n")).not.toContain(KEY);
  });

  test("an endpoint that echoes the key in its error message has it scrubbed", async () => {
    const server = await upstream({ status: 401 });
    // The testing server never repeats a key, so check the scrubbing on a message that does.
    const { toCompletionError } = await import("../src/run/failures.js");
    const error = toCompletionError(
      Object.assign(new Error(`Incorrect API key provided: ${KEY}`), { status: 401 }),
      {
        secrets: [KEY],
      },
    );
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain("0123456789abcdef");
    await server.close();
  });
});
