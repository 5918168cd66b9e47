// apiKeys: every route but /health, / and OPTIONS needs `Authorization: Bearer <key>`; a 401 is
// answered before the body is read and never reaches the model endpoint.
import { describe, expect, test } from "vitest";
import { isCompletionError } from "../src/index.js";
import { createCompletionHandler, type RequestLogEntry } from "../src/http/index.js";
import { registry, upstream } from "./helpers/fixtures.js";
import { endpoint, parseEvents, post, TRANSPORTS, type Transport } from "./helpers/http.js";

const KEYS = ["first-server-key-4c1e9a", "second-server-key-77b2d0"];
const WRONG = "wrong-server-key-000000";

describe.each(TRANSPORTS)("%s transport", (transport: Transport) => {
  async function guarded(tokens = ["Hello", " world"]) {
    const server = await upstream({ tokens });
    const lines: string[] = [];
    const api = await endpoint({
      transport,
      models: registry(server),
      apiKeys: KEYS,
      corsOrigins: ["http://app.test"],
      log: (line) => lines.push(line),
    });
    return { server, api, lines };
  }

  test("without an Authorization header a request gets 401 JSON with www-authenticate: Bearer, and the endpoint is never called", async () => {
    const { server, api, lines } = await guarded();
    const response = await post(api, { query: "hi", stream: true });
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(await response.json()).toEqual({ detail: "Missing or invalid API key" });
    expect(server.requests).toHaveLength(0);
    expect(lines).toEqual([
      expect.stringMatching(
        /^\S+ POST \/other\/completion 401 \d+ms 0 tokens unauthorized id=\S+$/,
      ),
    ]);
  });

  test("a wrong key gets 401 (invalid_token), and neither the response nor the log holds it", async () => {
    const { server, api, lines } = await guarded();
    const response = await post(
      api,
      { query: "hi" },
      { headers: { authorization: `Bearer ${WRONG}` } },
    );
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ detail: "Missing or invalid API key" });
    const everything = [text, ...response.headers.values(), ...lines].join("\n");
    for (const key of [WRONG, ...KEYS]) expect(everything).not.toContain(key);
    expect(server.requests).toHaveLength(0);
  });

  test("each configured key is accepted and gets the streamed answer", async () => {
    const { server, api, lines } = await guarded();
    for (const key of KEYS) {
      const response = await post(
        api,
        { query: "hi", stream: true },
        { headers: { authorization: `Bearer ${key}` } },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      expect(parseEvents(await response.text()).map((event) => event.data)).toEqual([
        "Hello",
        " world",
      ]);
    }
    expect(server.requests).toHaveLength(2);
    const everything = lines.join("\n");
    for (const key of KEYS) expect(everything).not.toContain(key);
  });

  test("the scheme is case-insensitive (RFC 6750), but another scheme, a bare key, a prefix or a longer key is refused", async () => {
    const { server, api } = await guarded(["x"]);
    const [key] = KEYS as [string];
    const status = async (authorization: string) => {
      const response = await post(api, { query: "hi" }, { headers: { authorization } });
      await response.arrayBuffer();
      return response.status;
    };
    expect(await status(`bearer ${key}`)).toBe(200);
    expect(await status(`BEARER ${key}`)).toBe(200);
    for (const refused of [
      key,
      `Basic ${key}`,
      `Token ${key}`,
      `Bearer${key}`,
      `Bearer ${key.slice(0, -1)}`,
      `Bearer ${key}x`,
      `Bearer ${key} ${KEYS[1]}`,
      `Bearer ${key}, Bearer ${KEYS[1]}`,
      "Bearer",
    ]) {
      expect(await status(refused), refused).toBe(401);
    }
    expect(server.requests).toHaveLength(2);
  });

  test("GET /health and a CORS preflight need no key, and the preflight allows the authorization header", async () => {
    const { api, lines } = await guarded();
    const health = await fetch(`${api.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const preflight = await fetch(`${api.url}/other/completion`, {
      method: "OPTIONS",
      headers: { origin: "http://app.test", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://app.test");
    expect(lines.join("\n")).not.toContain("unauthorized");
  });

  test("the 401 carries the CORS headers, so a page on an allowed origin can read it", async () => {
    const { api } = await guarded();
    const response = await post(api, { query: "hi" }, { headers: { origin: "http://app.test" } });
    expect(response.status).toBe(401);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://app.test");
    await response.arrayBuffer();
  });

  test("every other route needs the key too: an unknown path without a key is 401, not 404", async () => {
    const { api } = await guarded();
    const bare = await fetch(`${api.url}/models`);
    expect(bare.status).toBe(401);
    await bare.arrayBuffer();
    const withKey = await fetch(`${api.url}/models`, {
      headers: { authorization: `Bearer ${KEYS[0]}` },
    });
    expect(withKey.status).toBe(200);
    await withKey.arrayBuffer();
    const unknown = await fetch(`${api.url}/nowhere`);
    expect(unknown.status).toBe(401);
    await unknown.arrayBuffer();
    const unknownWithKey = await fetch(`${api.url}/nowhere`, {
      headers: { authorization: `Bearer ${KEYS[0]}` },
    });
    expect(unknownWithKey.status).toBe(404);
    await unknownWithKey.arrayBuffer();
    const post401 = await fetch(`${api.url}/health`, { method: "POST" });
    expect(post401.status).toBe(401);
    await post401.arrayBuffer();
  });
});

describe("createCompletionHandler({ apiKeys })", () => {
  test("a 401 is answered before the body is read (a handler without keys reads the same body)", async () => {
    const attempt = async (apiKeys: readonly string[]) => {
      let pulled = false;
      const body = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            pulled = true;
            controller.enqueue(new TextEncoder().encode("{}"));
            controller.close();
          },
        },
        { highWaterMark: 0 },
      );
      const request = new Request("http://127.0.0.1/other/completion", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);
      const response = await createCompletionHandler({ apiKeys })(request);
      return { status: response.status, pulled };
    };
    expect(await attempt(KEYS)).toEqual({ status: 401, pulled: false });
    expect(await attempt([])).toEqual({ status: 422, pulled: true });
  });

  test("the right key reaches the model through the web handler; onRequestEnd logs a refusal as unauthorized", async () => {
    const server = await upstream({ tokens: ["ok"] });
    const entries: RequestLogEntry[] = [];
    const handler = createCompletionHandler({
      models: registry(server),
      apiKeys: KEYS,
      onRequestEnd: (entry) => entries.push(entry),
    });
    const request = (authorization?: string) =>
      new Request("http://127.0.0.1/other/completion", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({ query: "hi", stream: true }),
      });
    const refused = await handler(request(`Bearer ${WRONG}`));
    expect(refused.status).toBe(401);
    const served = await handler(request(`Bearer ${KEYS[1]}`));
    expect(served.status).toBe(200);
    expect(parseEvents(await served.text()).map((event) => event.data)).toEqual(["ok"]);
    expect(entries.map((entry) => [entry.status, entry.error])).toEqual([
      [401, "unauthorized"],
      [200, undefined],
    ]);
    expect(JSON.stringify(entries)).not.toContain(WRONG);
    expect(server.requests).toHaveLength(1);
  });

  test("HEAD /health and GET / need no key (a 404 here: the page is not part of this handler)", async () => {
    const handler = createCompletionHandler({ apiKeys: KEYS });
    const health = await handler(new Request("http://127.0.0.1/health", { method: "HEAD" }));
    expect(health.status).toBe(200);
    const page = await handler(new Request("http://127.0.0.1/"));
    expect(page.status).not.toBe(401);
  });

  test("no keys, or an empty list, serves every request as before", async () => {
    for (const apiKeys of [undefined, []]) {
      const handler = createCompletionHandler({ ...(apiKeys ? { apiKeys } : {}) });
      const response = await handler(
        new Request("http://127.0.0.1/other/completion", { method: "GET" }),
      );
      expect(response.status).toBe(405);
    }
  });

  test.each([
    ["an empty key", ""],
    ["a key with a space", "abc def"],
    ["a key with a trailing newline", "abcdef\n"],
    ["a key with a control character", "abc\u0000def"],
    ["a non-ASCII key", "clé-secrète"],
  ])("%s is refused when the handler is made, naming the option but not the key", (_, bad) => {
    let thrown: unknown;
    try {
      createCompletionHandler({ apiKeys: ["good-key-123", bad] });
    } catch (error) {
      thrown = error;
    }
    expect(isCompletionError(thrown) && thrown.code).toBe("invalid_options");
    const message = (thrown as Error).message;
    expect(message).toMatch(/^apiKeys\[1\] must be/);
    if (bad.trim().length > 0) expect(message).not.toContain(bad.trim());
  });
});
