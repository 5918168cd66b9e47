/**
 * A raw 127.0.0.1 endpoint for what the testing server cannot script: headers such as
 * `retry-after`, a response that never ends or comes late, an error body of one's own, each
 * request's 'close'. Closed after each test.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { afterEach } from "vitest";
import { listenOnLoopback } from "./loopback.js";

export interface ScriptedServer {
  url: string;
  /** Every request's headers, in arrival order. */
  requests: IncomingMessage["headers"][];
  /** Resolves when the `n`th request's (from 1) connection has closed, its response unfinished. */
  closed(n: number): Promise<void>;
}

const scripted: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(scripted.splice(0).map((close) => close()));
});

/** A 127.0.0.1 server whose `n`th request (from 1) is answered by `answer`, closed after the test. */
export async function scriptedServer(
  answer: (n: number, req: IncomingMessage, res: ServerResponse) => void,
): Promise<ScriptedServer> {
  const requests: IncomingMessage["headers"][] = [];
  const closes: Promise<void>[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    // The response's 'close', not the request's: since Node 16 a request emits 'close' as soon as
    // its body has been read, whether or not the client is still connected.
    closes.push(new Promise((resolve) => res.once("close", () => resolve())));
    answer(requests.length, req, res);
  });
  const { port, close } = await listenOnLoopback(server);
  scripted.push(close);
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    closed: async (n) => {
      while (closes.length < n) await new Promise((resolve) => setTimeout(resolve, 5));
      await closes[n - 1];
    },
  };
}

/** One SSE event carrying `text`, in the completions or the chat completions shape. */
export function sseChunk(req: IncomingMessage, text: string, finish: string | null = null): string {
  const choice = req.url?.endsWith("/chat/completions")
    ? { index: 0, delta: { content: text }, finish_reason: finish }
    : { index: 0, text, logprobs: null, finish_reason: finish };
  return `data: ${JSON.stringify({ id: "x", object: "chunk", created: 1, model: "m", choices: [choice] })}\n\n`;
}

/** Starts an event stream and sends `tokens`; when `end`, a finish reason and `[DONE]` follow. */
export function streamTokens(
  req: IncomingMessage,
  res: ServerResponse,
  tokens: string[],
  end: boolean,
) {
  // Read the body first: a server that answers before reading can see the client's 'close' early.
  req.resume();
  req.once("end", () => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (const token of tokens) res.write(sseChunk(req, token));
    if (end) res.end(`${sseChunk(req, "", "stop")}data: [DONE]\n\n`);
  });
}
