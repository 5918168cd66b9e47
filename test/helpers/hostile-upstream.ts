import { listenOnLoopback } from "./loopback.js";
import { createServer } from "node:http";
import { afterEach } from "vitest";

/**
 * What a {@link hostileUpstream} does to every completion request. Each fault that sends text
 * sends the `Authorization` header it received back in it, as a careless proxy does.
 *
 * - `status401`, `status500`, `status429`: that status, with `{"error":{"message":"Incorrect API
 *   key provided: <Authorization> (received API key = <key>)","param":"<key>","code":"<key>"}}`
 * - `malformed`: one token, then `data: {not json <Authorization>`, then the end
 * - `errorChunk`: one token, then `data: {"error":{"message":"… <Authorization>"}}`, then the end
 * - `drop`: one token, then the socket is destroyed (no finish chunk, no end of the chunked body)
 * - `noFinish`: two tokens, then `data: [DONE]` with no `finish_reason` anywhere
 * - `stall`: one token, then nothing until the client goes away
 */
export type HostileFault =
  | "status401"
  | "status500"
  | "status429"
  | "malformed"
  | "errorChunk"
  | "drop"
  | "noFinish"
  | "stall";

/** A running hostile upstream; closed after the test. */
export interface HostileUpstream {
  /** Base URL ending in `/v1`. */
  url: string;
  /** Every `Authorization` header received, in order. */
  authorizations: string[];
  /** Token chunks written so far, across requests. */
  tokensSent(): number;
  /** Resolves once `n` tokens have been written in all (across requests). */
  waitForTokens(n: number): Promise<void>;
  close(): Promise<void>;
}

const servers: HostileUpstream[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/**
 * A loopback OpenAI-compatible endpoint (`/v1/completions` and `/v1/chat/completions`, streamed)
 * that fails every request with `fault`, echoing the key it was sent wherever it sends text — in
 * error bodies, broken chunks, and an `x-echoed-authorization` header on every response.
 */
export async function hostileUpstream(fault: HostileFault): Promise<HostileUpstream> {
  const authorizations: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let tokens = 0;
  const tokenSent = () => {
    tokens += 1;
    for (const waiter of [...waiters]) {
      if (tokens < waiter.n) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const authorization = req.headers.authorization ?? "";
      authorizations.push(authorization);
      const chat = (req.url ?? "").includes("/chat/");
      const bare = authorization.replace(/^Bearer /, "");
      const echo = `Incorrect API key provided: ${authorization} (received API key = ${bare})`;
      // No retry-after: LangChain then gives up on a 429 at once instead of waiting.
      const headers = { "x-echoed-authorization": authorization };
      const status = { status401: 401, status500: 500, status429: 429 }[fault as string];
      if (status !== undefined) {
        const type = status === 429 ? "requests" : status >= 500 ? "server_error" : "invalid";
        const body = JSON.stringify({ error: { message: echo, type, param: bare, code: bare } });
        res.writeHead(status, { ...headers, "content-type": "application/json" });
        res.end(body);
        return;
      }
      res.writeHead(200, { ...headers, "content-type": "text/event-stream" });
      const send = (data: string) => res.write(`data: ${data}\n\n`);
      const token = (text: string) => {
        send(JSON.stringify(chunkOf(chat, text, null)));
        tokenSent();
      };
      if (chat) send(JSON.stringify(chunkOf(chat, "", null, true)));
      token("first");
      switch (fault) {
        case "malformed":
          send(`{not json ${echo}`);
          res.end();
          return;
        case "errorChunk":
          send(JSON.stringify({ error: { message: echo, type: "server_error" } }));
          res.end();
          return;
        case "drop":
          res.socket?.destroySoon();
          return;
        case "noFinish":
          token(" second");
          send("[DONE]");
          res.end();
          return;
        case "stall":
          return;
      }
    });
  });
  const { port, close } = await listenOnLoopback(server);
  const hostile: HostileUpstream = {
    url: `http://127.0.0.1:${port}/v1`,
    authorizations,
    tokensSent: () => tokens,
    waitForTokens: (n) =>
      new Promise<void>((resolve) => {
        if (tokens >= n) resolve();
        else waiters.push({ n, resolve });
      }),
    close,
  };
  servers.push(hostile);
  return hostile;
}

function chunkOf(chat: boolean, text: string, finishReason: string | null, role = false) {
  const created = 1_700_000_000;
  if (chat) {
    const delta = role ? { role: "assistant", content: "" } : { content: text };
    const choice = { index: 0, delta, logprobs: null, finish_reason: finishReason };
    return { id: "chatcmpl-hostile", object: "chat.completion.chunk", created, choices: [choice] };
  }
  const choice = { text, index: 0, logprobs: null, finish_reason: finishReason };
  return { id: "cmpl-hostile", object: "text_completion", created, choices: [choice] };
}

/** A port on 127.0.0.1 that nothing listens on (a server was opened there and closed again). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
