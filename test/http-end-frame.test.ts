import { describe, expect, test } from "vitest";
import { registry, upstream } from "./helpers/fixtures.js";
import { endpoint, parseEvents, post, TRANSPORTS, type Transport } from "./helpers/http.js";

// The opt-in end frame: `?end=1` (or `?end=true`) ends a stream that finished with exactly this.
const END = "event: end\r\ndata: \r\n\r\n";

describe.each(TRANSPORTS)("%s transport: the opt-in end frame", (transport: Transport) => {
  const serve: typeof endpoint = (options = {}) => endpoint({ ...options, transport });

  test("off by default: the bytes are sse-starlette's, with no end marker", async () => {
    const server = await upstream({ tokens: ["Hello", " world", "a\nb"] });
    const api = await serve({ models: registry(server) });
    const streamed = await (await post(api, { query: "hi", stream: true })).text();
    expect(streamed).toBe("data: Hello\r\n\r\ndata:  world\r\n\r\ndata: a\r\ndata: b\r\n\r\n");
    expect(await (await post(api, { query: "hi" })).text()).toBe(
      "data: Hello worlda\r\ndata: b\r\n\r\n",
    );
    // Any other value of the parameter leaves the framing as it is.
    for (const value of ["0", "false", "", "yes"]) {
      const text = await (
        await post(api, { query: "hi", stream: true }, { query: `?end=${value}` })
      ).text();
      expect(text).toBe(streamed);
    }
  });

  test("?end=1: the same bytes, then the end frame last", async () => {
    const server = await upstream({ tokens: ["Hello", " world"] });
    const api = await serve({ models: registry(server) });
    for (const query of ["?end=1", "?end=true"]) {
      const text = await (await post(api, { query: "hi", stream: true }, { query })).text();
      expect(text).toBe(`data: Hello\r\n\r\ndata:  world\r\n\r\n${END}`);
      const events = parseEvents(text);
      expect(events.at(-1)).toMatchObject({ event: "end", data: "" });
      expect(events).toHaveLength(3);
    }
  });

  test("?end=1 with stream: false and with an empty answer", async () => {
    const server = await upstream({ tokens: ["Hello", ",", " 世界"] });
    const api = await serve({ models: registry(server) });
    const whole = await (await post(api, { query: "hi" }, { query: "?end=1" })).text();
    expect(whole).toBe(`data: Hello, 世界\r\n\r\n${END}`);
    const empty = await upstream({ tokens: [] });
    const none = await serve({ models: registry(empty) });
    expect(
      await (await post(none, { query: "hi", stream: true }, { query: "?end=1" })).text(),
    ).toBe(END);
  });

  test("works with ?format=json, in either order", async () => {
    const tokens = ["a\r\nb", " c"];
    const server = await upstream({ tokens });
    const api = await serve({ models: registry(server) });
    for (const query of ["?format=json&end=1", "?end=1&format=json"]) {
      const text = await (await post(api, { query: "hi", stream: true }, { query })).text();
      expect(text).toBe(`data: {"text":"a\\r\\nb"}\r\n\r\ndata: {"text":" c"}\r\n\r\n${END}`);
      const events = parseEvents(text);
      expect(events.slice(0, -1).map((event) => JSON.parse(event.data).text)).toEqual(tokens);
      expect(events.at(-1)?.event).toBe("end");
    }
  });

  test("a stream that fails ends with the error event: no end frame after it", async () => {
    const server = await upstream({ tokens: ["one", " two", " three"], dropAfterTokens: 2 });
    const api = await serve({ models: registry(server) });
    const text = await (await post(api, { query: "x", stream: true }, { query: "?end=1" })).text();
    expect(text).not.toContain("event: end");
    const events = parseEvents(text);
    expect(events.map((event) => event.data).slice(0, 2)).toEqual(["one", " two"]);
    expect(events.at(-1)?.event).toBe("error");
    expect(JSON.parse(events.at(-1)?.data ?? "{}")).toMatchObject({ code: "upstream_incomplete" });
    expect(events).toHaveLength(3);
  });

  test("a failure before the first byte is still a plain 502, with or without ?end=1", async () => {
    const server = await upstream({ tokens: ["one", " two"], dropAfterTokens: 1 });
    const api = await serve({ models: registry(server) });
    const response = await post(api, { query: "x" }, { query: "?end=1" });
    expect(response.status).toBe(502);
    expect((await response.json()).detail.code).toBe("upstream_incomplete");
  });
});
