import type { ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { createServer as createHttpsServer, globalAgent as httpsGlobalAgent } from "node:https";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { afterAll, beforeEach, describe, expect, test, vi } from "vitest";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { ChatOpenAI, OpenAI } from "@langchain/openai";
import { buildRegisteredModel } from "../src/build-model.js";
import { completion, type ModelRegistry } from "../src/index.js";
import { collect, failure, registry, upstream } from "./helpers/fixtures.js";
import { listenOnLoopback } from "./helpers/loopback.js";
import { scriptedServer, streamTokens } from "./helpers/scripted-server.js";

const KINDS = [
  ["test-completion", "completion"],
  ["test-chat", "chat"],
] as const;
const SETTINGS = { temperature: 0.7, maxTokens: undefined };

// Installed after src/upstream-fetch.ts has loaded (and, as the suite runs without isolation, after
// other test files have built their models): the registry's fetch looks `globalThis.fetch` up at
// each call, so the spy still sees every request the openai SDK makes.
const fetchSpy = vi.spyOn(globalThis, "fetch");

beforeEach(() => {
  fetchSpy.mockClear();
});
afterAll(() => {
  fetchSpy.mockRestore();
});

/** The text of a streamed `.stream()` chunk: an LLM's string or a chat model's message chunk. */
function textOf(chunk: unknown): string {
  return typeof chunk === "string" ? chunk : String((chunk as { content: unknown }).content);
}

function sendJsonError(res: ServerResponse, status: number, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ error: { message: `scripted ${status}`, type: "x", code: null } }));
}

function models(url: string, maxRetries: number, apiKey = "test-key"): ModelRegistry {
  return {
    "test-completion": { kind: "completion", baseURL: url, apiKey, maxRetries },
    "test-chat": { kind: "chat", baseURL: url, apiKey, maxRetries },
  };
}

describe.each(KINDS)("%s (%s kind) on the node transport", (model, kind) => {
  test("a streamed completion() and the model's .stream() never call fetch; a non-streamed invoke() does", async () => {
    const server = await upstream({ tokens: ["Hello", ", ", "世界"] });
    const built = buildRegisteredModel(model, SETTINGS, { models: registry(server) });

    const streamed = await collect(
      completion({ query: "q", stream: true, model, models: registry(server) }),
    );
    const direct: string[] = [];
    for await (const chunk of await built.stream("q")) direct.push(textOf(chunk));
    expect(streamed).toEqual(["Hello", ", ", "世界"]);
    expect(direct.join("")).toBe("Hello, 世界");
    expect(fetchSpy).not.toHaveBeenCalled();

    // Everything but a streamed body still goes through the openai SDK and its fetch.
    const answer = await built.invoke("q");
    expect(textOf(answer)).toBe("Hello, 世界");
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    expect(String(fetchSpy.mock.calls[0]?.[0])).toBe(
      `${server.url}${kind === "chat" ? "/chat/completions" : "/completions"}`,
    );
    expect(server.requests).toHaveLength(3);
  });

  test("the streamed request carries the key, JSON content type, LangChain's user-agent and a stream: true body", async () => {
    const server = await upstream({ tokens: ["a"] });
    const built = buildRegisteredModel(model, SETTINGS, { models: registry(server, "sk-abc123") });
    for await (const _ of await built.stream("the prompt")) {
      // drained
    }
    await built.invoke("the prompt");
    const [streamed, viaSdk] = server.requests;
    expect(streamed?.method).toBe("POST");
    expect(streamed?.path).toBe(kind === "chat" ? "/v1/chat/completions" : "/v1/completions");
    expect(streamed?.headers.authorization).toBe("Bearer sk-abc123");
    expect(streamed?.headers["content-type"]).toBe("application/json");
    expect(streamed?.headers["user-agent"]).toMatch(/^langchainjs-openai\/\d+\.\d+\.\d+ \(.+\)$/);
    // The same user-agent the SDK sends for the same model.
    expect(streamed?.headers["user-agent"]).toBe(viaSdk?.headers["user-agent"]);
    expect(streamed?.body).toMatchObject({ model, stream: true, temperature: 0.7 });
    if (kind === "chat") {
      expect(streamed?.body).toMatchObject({
        messages: [{ role: "user", content: "the prompt" }],
      });
    } else {
      expect(streamed?.body).toMatchObject({ prompt: "the prompt" });
    }
    expect(viaSdk?.body).not.toHaveProperty("stream", true);
  });

  test("a 429 with retry-after then a 200 is retried by LangChain's caller, as maxRetries allows", async () => {
    // With `retry-after`: @langchain/core 1.x retries a 429 only when the error carries a wait hint
    // (a headerless one is a RateLimitCapacityError, thrown at once, on the SDK's path as well). So
    // this also checks that the transport's error carries the response's headers, as the SDK's does.
    const server = await scriptedServer((n, req, res) => {
      if (n === 1) sendJsonError(res, 429, { "retry-after": "0" });
      else streamTokens(req, res, ["after", " retry"], true);
    });
    const tokens = await collect(
      completion({ query: "q", stream: true, model, models: models(server.url, 1) }),
    );
    expect(tokens).toEqual(["after", " retry"]);
    expect(server.requests).toHaveLength(2);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  test("the same 429 with maxRetries 0 is not retried and fails with upstream_error, status 429", async () => {
    const server = await scriptedServer((n, req, res) => {
      if (n === 1) sendJsonError(res, 429, { "retry-after": "0" });
      else streamTokens(req, res, ["never"], true);
    });
    const { error, tokens } = await failure(async (tokens) => {
      for await (const token of completion({
        query: "q",
        stream: true,
        model,
        models: models(server.url, 0),
      }))
        tokens.push(token);
    });
    expect(error).toMatchObject({ code: "upstream_error", status: 429 });
    expect(tokens).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  test("a 401 is not retried, whatever maxRetries, and fails with upstream_error, status 401", async () => {
    const server = await upstream({ apiKey: "the-right-key", tokens: ["never"] });
    const { error, tokens } = await failure(async (tokens) => {
      for await (const token of completion({
        query: "q",
        stream: true,
        model,
        models: models(server.url, 3, "a-wrong-key"),
      }))
        tokens.push(token);
    });
    expect(error).toMatchObject({ code: "upstream_error", status: 401 });
    expect(tokens).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  test("the model's own request timeout runs until the response headers, as the SDK's does: a server that never answers fails it", async () => {
    // The body is read, then nothing: no status line, no headers.
    const server = await scriptedServer((_, req) => req.resume());
    // The model is built with a 200 ms request timeout (as from an entry's `timeout`) and given as
    // an instance: a call's `timeout` would replace the entry's for a model named by the call.
    const instance = buildRegisteredModel(model, SETTINGS, {
      models: { [model]: { kind, baseURL: server.url, apiKey: "k", maxRetries: 0, timeout: 200 } },
    });
    const { error } = await failure(async () => {
      // The run may wait 20 s; the model's request only 200 ms for its headers.
      await collect(completion({ query: "q", stream: true, model: instance, timeout: 20_000 }));
    });
    // The transport's timer, not the run's (that would be upstream_timeout): the SDK's
    // APIConnectionTimeoutError, as LangChain wraps it.
    expect(error.code).toBe("upstream_unavailable");
    expect(error.message).toMatch(/timed out/i);
    await server.closed(1);
  }, 10_000);

  test("breaking out of completion()'s loop closes the upstream request before the next token", async () => {
    // The server sends one token and then nothing, ever: only the client closing ends the request.
    const server = await scriptedServer((_, req, res) => streamTokens(req, res, ["first"], false));
    const received: string[] = [];
    for await (const token of completion({
      query: "q",
      stream: true,
      model,
      models: models(server.url, 0),
    })) {
      received.push(token);
      break;
    }
    expect(received).toEqual(["first"]);
    // Bounded by the test's timeout: waiting for a second token would never end.
    await server.closed(1);
    expect(server.requests).toHaveLength(1);
  }, 10_000);

  test("aborting the signal given to the model's .stream() closes the upstream request before the next token", async () => {
    // Breaking out of LangChain's own `.stream()` loop waits for the model's next chunk (its
    // generator is suspended inside the chunk loop; on Node 24 that wait shows here too): only the
    // signal stops it at once, as with the SDK's transport.
    const server = await scriptedServer((_, req, res) => streamTokens(req, res, ["first"], false));
    const built = buildRegisteredModel(model, SETTINGS, { models: models(server.url, 0) });
    const controller = new AbortController();
    const received: string[] = [];
    const reading = (async () => {
      for await (const chunk of await built.stream("q", { signal: controller.signal })) {
        received.push(textOf(chunk));
        if (received.join("") !== "") controller.abort();
      }
    })();
    await expect(reading).rejects.toThrow();
    expect(received.join("")).toBe("first");
    await server.closed(1);
  }, 10_000);
});

describe.each(KINDS)(
  "%s (%s kind): LangChain's chunk layers only when someone watches",
  (model, kind) => {
    const owner = kind === "chat" ? ChatOpenAI.prototype : OpenAI.prototype;

    test("completion() without callbacks reads the transport directly: LangChain's _streamResponseChunks is not run", async () => {
      const server = await upstream({ tokens: ["a", "b", "c"] });
      const spy = vi.spyOn(owner, "_streamResponseChunks");
      try {
        const tokens = await collect(
          completion({ query: "q", stream: true, model, models: registry(server) }),
        );
        expect(tokens).toEqual(["a", "b", "c"]);
        expect(spy).not.toHaveBeenCalled();
      } finally {
        spy.mockRestore();
      }
    });

    test("with a callback handler the run goes through LangChain's layers and the handler sees every token and the run's end", async () => {
      const server = await upstream({ tokens: ["a", "b", "c"] });
      const spy = vi.spyOn(owner, "_streamResponseChunks");
      const seen: string[] = [];
      let ended = 0;
      const handler = BaseCallbackHandler.fromMethods({
        handleLLMNewToken(token: string) {
          seen.push(token);
        },
        handleLLMEnd() {
          ended++;
        },
      });
      try {
        const tokens = await collect(
          completion({
            query: "q",
            stream: true,
            model,
            models: registry(server),
            callbacks: [handler],
          }),
        );
        expect(tokens).toEqual(["a", "b", "c"]);
        expect(spy).toHaveBeenCalledTimes(1);
        // The final (finish, usage) chunks fire the callback with "" too.
        expect(seen.filter((token) => token !== "")).toEqual(["a", "b", "c"]);
        expect(ended).toBe(1);
      } finally {
        spy.mockRestore();
      }
    });
  },
);

describe("over https, as the default endpoint is", () => {
  // A self-signed certificate for 127.0.0.1 (EC P-256, valid until 2126), made for this test:
  // `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 36500 -nodes
  // -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1`.
  const tls = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "tls");
  const cert = readFileSync(join(tls, "cert.pem"));
  const key = readFileSync(join(tls, "key.pem"));

  async function httpsServer(): Promise<{ url: string; close: () => Promise<void> }> {
    const server = createHttpsServer({ cert, key }, (req, res) =>
      streamTokens(req, res, ["secure", " tokens"], true),
    );
    const { port, close } = await listenOnLoopback(server);
    return { url: `https://127.0.0.1:${port}/v1`, close };
  }

  test.each(KINDS)(
    "%s streams over TLS with the certificate trusted, and refuses it untrusted",
    async (model) => {
      const server = await httpsServer();
      const agent = httpsGlobalAgent as unknown as { options: { ca?: unknown } };
      const before = agent.options.ca;
      try {
        // Untrusted (the default): the certificate is checked, and the request never gets through.
        const refused = await failure(async () => {
          await collect(
            completion({ query: "q", stream: true, model, models: models(server.url, 0) }),
          );
        });
        expect(refused.error.code).toBe("upstream_unavailable");
        // …for the certificate: the TLS error is in the cause chain.
        expect(inspect(refused.error, { depth: 8 })).toMatch(/SELF_SIGNED/);
        // Trusted through the global agent's options, which the transport's requests use.
        agent.options.ca = cert;
        const tokens = await collect(
          completion({ query: "q", stream: true, model, models: models(server.url, 0) }),
        );
        expect(tokens.join("")).toBe("secure tokens");
        expect(fetchSpy).not.toHaveBeenCalled();
      } finally {
        agent.options.ca = before;
        await server.close();
      }
    },
  );
});

// A consumer that stops pulling holding the upstream back is covered through these same registry
// models, for both kinds, by test/backpressure.test.ts ("a paused consumer"): the server's bytes
// stay bounded while nobody reads, and the whole answer arrives in order afterwards.
