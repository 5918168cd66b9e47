import { request as httpRequest, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import { describe, expect, test } from "vitest";
import { AsyncIteratorCallbackHandler, completion, createCompletionChain } from "../src/index.js";
import { buildRegisteredModel } from "../src/build-model.js";
import type { TestingServer } from "../src/testing/index.js";
import { registry, sleep, upstream } from "./helpers/fixtures.js";
import { endpoint, TRANSPORTS } from "./helpers/http.js";

/** A 40 MB answer: 40,000 tokens of 1 KiB, each starting with its index, so order can be checked. */
const TOKENS = 40_000;
const FILLER = "x".repeat(1_015);
const token = (index: number) => `${String(index).padStart(8, "0")}${FILLER} `;
const bigAnswer = () => Array.from({ length: TOKENS }, (_, index) => token(index));

/** Loopback socket buffers plus our own: what may leave the upstream while nobody reads. */
const PAUSED_LIMIT = 16 * 1024 * 1024;

/** Resolves once the upstream has stopped sending (no new bytes for 300 ms), with what it sent. */
async function settled(server: TestingServer): Promise<number> {
  let sent = -1;
  for (let polls = 0; polls < 100 && server.bytesSent() !== sent; polls += 1) {
    sent = server.bytesSent();
    await sleep(300);
  }
  return sent;
}

/** Checks that `text` is the whole big answer, in order. */
function expectWhole(text: string): void {
  expect(text.length).toBe(TOKENS * 1_024);
  for (const index of [0, 1, 999, TOKENS / 2, TOKENS - 1]) {
    expect(text.slice(index * 1_024, index * 1_024 + 8)).toBe(String(index).padStart(8, "0"));
  }
}

describe.each(["test-completion", "test-chat"] as const)("%s: a paused consumer", (model) => {
  test("a for await that stops advancing holds the upstream back; on resume the whole answer arrives in order", async () => {
    const server = await upstream({ tokens: bigAnswer });
    const iterator = completion({ query: "q", stream: true, model, models: registry(server) })[
      Symbol.asyncIterator
    ]();
    let text = "";
    for (let read = 0; read < 10; read += 1) {
      const result = await iterator.next();
      text += result.value ?? "";
    }
    const sent = await settled(server);
    expect(sent).toBeLessThan(PAUSED_LIMIT);
    for (;;) {
      const result = await iterator.next();
      if (result.done) break;
      text += result.value;
    }
    expectWhole(text);
  });
});

describe.each(["test-completion", "test-chat"] as const)(
  "%s: the original's way, a chain run in the background feeding an AsyncIteratorCallbackHandler",
  (model) => {
    test("a consumer that stops reading holds the model back; on resume every token arrives in order", async () => {
      const server = await upstream({ tokens: bigAnswer });
      const settings = { temperature: 0.7, maxTokens: undefined };
      const chain = createCompletionChain({
        model: buildRegisteredModel(model, settings, { models: registry(server) }),
        prompt: "{input}",
      });
      const handler = new AsyncIteratorCallbackHandler();
      const run = chain.invoke({ input: "q" }, { callbacks: [handler] }).then(
        () => handler.close(),
        (error: unknown) => handler.close(error),
      );
      const tokens = handler.aiter();
      let text = "";
      for (let read = 0; read < 10; read += 1) text += (await tokens.next()).value ?? "";
      const sent = await settled(server);
      expect(sent).toBeLessThan(PAUSED_LIMIT);
      for await (const token of tokens) text += token;
      await run;
      expectWhole(text);
    });
  },
);

/** POSTs a streaming request and returns the response, paused after its first chunk. */
function pausedRequest(url: string): Promise<{ response: IncomingMessage; first: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${url}/other/completion`,
      { method: "POST", headers: { "content-type": "application/json" } },
      (response) => {
        response.once("data", (first: Buffer) => {
          response.pause();
          resolve({ response, first });
        });
      },
    );
    request.on("error", reject);
    request.end(JSON.stringify({ query: "q", stream: true, model_name: "test-chat" }));
  });
}

describe.each(TRANSPORTS)("%s transport: a client that stops reading", (transport) => {
  test("holds the upstream back; when it reads again the whole answer arrives in order", async () => {
    const server = await upstream({ tokens: bigAnswer });
    const api = await endpoint({ transport, models: registry(server) });
    const { response, first } = await pausedRequest(api.url);
    const sent = await settled(server);
    expect(sent).toBeLessThan(PAUSED_LIMIT);
    const chunks: Buffer[] = [first];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.resume();
    await new Promise((resolve) => response.once("end", resolve));
    const text = Buffer.concat(chunks)
      .toString("utf8")
      .split("\r\n\r\n")
      .filter((frame) => frame.startsWith("data: "))
      .map((frame) => frame.slice("data: ".length))
      .join("");
    expectWhole(text);
  });

  test("is dropped after the client timeout, pings or not: its upstream request is aborted and the drop is logged", async () => {
    const server = await upstream({ tokens: bigAnswer });
    const lines: string[] = [];
    const api = await endpoint({
      transport,
      models: registry(server),
      clientTimeoutMs: 300,
      pingIntervalMs: 50,
      log: (line) => lines.push(line),
    });
    // A client that sends its request and never reads a byte.
    const { port } = new URL(api.url);
    const socket = connect(Number(port), "127.0.0.1");
    const body = JSON.stringify({ query: "q", stream: true, model_name: "test-chat" });
    socket.write(
      `POST /other/completion HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    socket.pause();
    try {
      await server.waitForConnections(0);
      expect(server.bytesSent()).toBeLessThan(PAUSED_LIMIT);
      while (!lines.some((line) => line.includes("client_timeout"))) await sleep(20);
      expect(lines.filter((line) => line.includes("POST /other/completion"))).toHaveLength(1);
    } finally {
      socket.destroy();
    }
  });
});
