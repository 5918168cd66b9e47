import { describe, expect, test } from "vitest";
import { createCompletionHandler, type RequestLogEntry } from "../src/http/index.js";
import { registry, upstream } from "./helpers/fixtures.js";
import { endpoint, post, TRANSPORTS } from "./helpers/http.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each(TRANSPORTS)("%s transport: x-request-id", (transport) => {
  test("a sane id is sent back as given, on streams and on errors alike", async () => {
    const server = await upstream({ tokens: ["a", "b"] });
    const api = await endpoint({ transport, models: registry(server) });
    const headers = { "x-request-id": "req-42:abc" };
    const ok = await post(api, { query: "hi", stream: true }, { headers });
    expect(ok.headers.get("x-request-id")).toBe("req-42:abc");
    await ok.text();
    const invalid = await post(api, { query: "hi", max_tokens: "x" }, { headers });
    expect(invalid.status).toBe(422);
    expect(invalid.headers.get("x-request-id")).toBe("req-42:abc");
    const missing = await fetch(`${api.url}/nowhere`, { headers });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-request-id")).toBe("req-42:abc");
  });

  test("no id, or one that is too long or not visible ASCII, gets a fresh UUID", async () => {
    const server = await upstream({ tokens: ["a"] });
    const api = await endpoint({ transport, models: registry(server) });
    const ids = new Set<string>();
    for (const given of [undefined, "x".repeat(129), "has space", "é"]) {
      const headers: Record<string, string> = given === undefined ? {} : { "x-request-id": given };
      const response = await post(api, { query: "hi" }, { headers });
      await response.text();
      const id = response.headers.get("x-request-id") ?? "";
      expect(id).toMatch(UUID);
      ids.add(id);
    }
    expect(ids.size).toBe(4);
  });
});

describe("the request log entry", () => {
  async function logged(body: object, tokens: string[], headers: Record<string, string> = {}) {
    const server = await upstream({ tokens });
    const entries: RequestLogEntry[] = [];
    const handler = createCompletionHandler({
      models: registry(server),
      onRequestEnd: (entry) => entries.push(entry),
    });
    const response = await handler(
      new Request("http://local/other/completion", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      }),
    );
    await response.text();
    expect(entries).toHaveLength(1);
    return { entry: entries[0] as RequestLogEntry, response };
  }

  test("carries the request id, stream, tokens and a time to first token within the duration", async () => {
    for (const stream of [true, false]) {
      const { entry, response } = await logged({ query: "hi", stream }, ["a", "b", "c"], {
        "x-request-id": "abc",
      });
      expect(response.headers.get("x-request-id")).toBe("abc");
      expect(entry).toMatchObject({ requestId: "abc", status: 200, tokens: 3, stream });
      expect(entry.ttftMs).toBeGreaterThanOrEqual(0);
      expect(entry.ttftMs).toBeLessThanOrEqual(entry.durationMs);
    }
  });

  test("no first token, no ttftMs; a body that fails validation has no stream field", async () => {
    const empty = await logged({ query: "hi", stream: true }, []);
    expect(empty.entry.tokens).toBe(0);
    expect(empty.entry).not.toHaveProperty("ttftMs");
    const invalid = await logged({ query: "hi", max_tokens: "x" }, ["a"]);
    expect(invalid.entry).toMatchObject({ status: 422, error: "invalid_options" });
    expect(invalid.entry).not.toHaveProperty("stream");
    expect(invalid.entry.requestId).toMatch(UUID);
  });
});
