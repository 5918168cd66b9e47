// The log's destination and format (src/http/node/request-logger.ts), formatLogLine, and what a
// stream keeps of its answer for the log (src/http/session.ts).
import { PassThrough } from "node:stream";
import { describe, expect, test } from "vitest";
import type { RequestLogEntry } from "../src/http/index.js";
import { formatLogLine } from "../src/http/index.js";
import { createServerLog, type LogStream } from "../src/http/node/request-logger.js";
import type { FrameSink, RequestLog } from "../src/http/session.js";
import { sessionOver } from "./helpers/sse-session.js";

const ENTRY: RequestLogEntry = {
  requestId: "id-1",
  method: "POST",
  path: "/other/completion",
  status: 200,
  durationMs: 12.34,
  tokens: 2,
};

/** A stream that records what is written, a terminal or not. */
function recorder(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (isTTY) stream.isTTY = true;
  const written: string[] = [];
  stream.on("data", (chunk: Buffer) => written.push(chunk.toString()));
  return { stream: stream as LogStream & PassThrough, written };
}

describe("createServerLog", () => {
  test("writes JSON lines to a stream that is not a terminal, and one human line to a terminal", async () => {
    const pipe = recorder(false);
    const json = createServerLog({ stream: pipe.stream });
    expect(json.format).toBe("json");
    json.request(ENTRY);
    json.note("info", "serving", { url: "http://x" });
    await json.close();
    const [request, note] = pipe.written
      .join("")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(request).toMatchObject({ msg: "request", requestId: "id-1", durationMs: 12.3 });
    expect(note).toMatchObject({ level: "info", msg: "serving", url: "http://x" });

    const terminal = recorder(true);
    const pretty = createServerLog({ stream: terminal.stream });
    expect(pretty.format).toBe("pretty");
    pretty.request(ENTRY);
    pretty.note("info", "serving");
    await pretty.close();
    expect(terminal.written.join("")).toMatch(
      /^\S+Z POST \/other\/completion 200 12ms 2 tokens id=id-1\ncompletion-chain: serving\n$/,
    );
  });

  test("a log function gets human lines unless logFormat says json; each line without its line break", () => {
    const lines: string[] = [];
    createServerLog({ log: (line) => lines.push(line) }).request(ENTRY);
    createServerLog({ log: (line) => lines.push(line), logFormat: "json" }).request(ENTRY);
    expect(lines[0]).toMatch(/^\S+Z POST .* id=id-1$/);
    expect(JSON.parse(lines[1] as string)).toMatchObject({ requestId: "id-1", level: "info" });
    expect(lines.every((line) => !line.includes("\n"))).toBe(true);
  });

  test("a stream error (a reader gone: EPIPE) is not left unhandled while the log is open, and the listener goes with close()", async () => {
    const { stream } = recorder(false);
    const before = stream.listenerCount("error");
    const log = createServerLog({ stream });
    expect(stream.listenerCount("error")).toBe(before + 1);
    stream.emit("error", Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    await log.close();
    expect(stream.listenerCount("error")).toBe(before);
  });

  test("a 5xx or a failure after the headers is level error, a shutdown warn, a disconnect info", () => {
    const lines: string[] = [];
    const log = createServerLog({ log: (line) => lines.push(line), logFormat: "json" });
    for (const change of [
      { status: 502, error: "upstream_error" },
      { error: "upstream_malformed" },
      { error: "shutting_down" },
      { error: "client_timeout" },
      { status: 422, error: "invalid_options" },
    ])
      log.request({ ...ENTRY, ...change });
    const logged = lines.map((line) => JSON.parse(line));
    expect(logged.map((entry) => entry.level)).toEqual(["error", "error", "warn", "info", "info"]);
    expect(logged[3]).toMatchObject({ disconnect: "client_timeout" });
    expect(logged[3]).not.toHaveProperty("error");
  });
});

test("formatLogLine keeps the earlier line, and writes content as JSON strings so that a line break cannot split it", () => {
  const line = formatLogLine(
    { ...ENTRY, error: "client_closed", ttftMs: 3.6, query: "a\nb", answer: "\u001b[31m" },
    new Date("2026-12-04T07:00:00.000Z"),
  );
  expect(line).toBe(
    '2026-12-04T07:00:00.000Z POST /other/completion 200 12ms 2 tokens client_closed ttft=4ms id=id-1 query="a\\nb" answer="\\u001b[31m"',
  );
});

describe("a stream's answer, for the log", () => {
  async function streamed(keepAnswer: boolean, tokens: string[]): Promise<unknown[]> {
    let logged: unknown[] = [];
    const log: RequestLog = (...args) => {
      logged = args;
    };
    const iterator = (async function* () {
      yield* tokens;
    })();
    const session = sessionOver(iterator, { log, keepAnswer });
    const sink: FrameSink = { write() {}, close() {}, backedUp: () => false };
    session.attach(sink);
    while (await session.pull()) {}
    return logged;
  }

  test("is not kept without logContent", async () => {
    const logged = await streamed(false, ["one", "two"]);
    expect(logged[1]).toBe(2);
    expect(logged[4]).toBe("");
  });

  test("is kept with logContent, up to the cap plus one token", async () => {
    expect((await streamed(true, ["one", "two"]))[4]).toBe("onetwo");
    const big = "x".repeat(40_000);
    const kept = (await streamed(true, [big, big, big, big]))[4] as string;
    expect(kept).toHaveLength(80_000);
  });
});
