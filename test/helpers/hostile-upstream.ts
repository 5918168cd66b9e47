import { listenOnLoopback } from "./loopback.js";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
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

/**
 * The lowest port the kernel hands out for `listen(0)`: the start of Linux's
 * `ip_local_port_range`, elsewhere IANA's (macOS's) 49152. No test server is given one below it.
 */
function lowestEphemeralPort(): number {
  try {
    const low = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0],
    );
    if (Number.isInteger(low)) return low;
  } catch {
    // not Linux
  }
  return 49152;
}

/** Listens on `port` (0: any) and closes again; the port, or `undefined` if it was taken. */
async function openAndClose(port: number): Promise<number | undefined> {
  const server = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => resolve(true));
  });
  if (!listening) return undefined;
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : undefined;
}

/**
 * A port on 127.0.0.1 that nothing listens on and nothing will: free when checked, and outside the
 * range `listen(0)` draws from, so no test server started meanwhile (in this file or another
 * worker's) can land on it. A port just freed by `listen(0)` could — and once did, the "refused"
 * request then reaching another test's server.
 */
export async function closedPort(): Promise<number> {
  const low = lowestEphemeralPort();
  for (let attempt = 0; attempt < 50 && low > 2048; attempt += 1) {
    const port = 1024 + Math.floor(Math.random() * (low - 1024));
    if ((await openAndClose(port)) !== undefined) return port;
  }
  // No room below the range: a port freed just now, as before.
  return (await openAndClose(0)) as number;
}
