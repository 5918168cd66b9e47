/**
 * The floor of the concurrency run: `POST /other/completion` as a bare forwarder, `node:http` on
 * both sides and the upstream's SSE parsed by hand — no `openai` SDK, no `fetch`/undici, no web
 * streams, no LangChain, none of this library. Same wire format as ours (sse-starlette framing,
 * `data: <token>\r\n\r\n`, `text/event-stream; charset=utf-8`), same place (the benchmark process),
 * same upstream request body as the raw-SDK variant. Its figures are what this machine allows for
 * the work itself (one upstream read and one `JSON.parse` per token, one socket write per token per
 * stream, timers, GC), so ours and the raw-openai route (`raw-openai-endpoint.ts`) can be read
 * against them.
 *
 * It is not an endpoint to ship: no validation (a bad body is a 400 with the parse error), no model
 * registry, no prompt templates, no pings, no `event: error` frames (a stream that fails midway is
 * cut off), an SSE parser that knows only `data:` lines. It does honour backpressure (it pauses the
 * upstream response while its client's socket is full) and cancels the upstream request when the
 * client goes, and its outcomes on the soak's failure cases are the raw-openai route's: an upstream
 * error status is a 502, an upstream that drops its connection cuts the answer off.
 *
 * @packageDocumentation
 */

import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { encodeEvent } from "../../src/http/sse.js";
import { MAX_TOKENS, MODEL_ID, TEMPERATURE } from "./request-settings.js";
import { type EndpointServer, type RouteBody, readJson, SSE_HEADERS } from "./hand-route.js";

function handle(
  upstream: URL,
  agent: Agent,
  body: RouteBody,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const payload = JSON.stringify({
    model: body.model_name ?? MODEL_ID.completion,
    prompt: body.query ?? "",
    stream: true,
    max_tokens: body.max_tokens ?? MAX_TOKENS,
    temperature: body.temperature ?? TEMPERATURE,
  });
  const up = request(
    new URL("completions", upstream),
    {
      method: "POST",
      agent,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(payload),
        authorization: "Bearer bench",
        accept: "text/event-stream",
      },
    },
    (upRes) => {
      if (upRes.statusCode !== 200) {
        upRes.resume();
        res.writeHead(502).end(`upstream ${upRes.statusCode}`);
        return;
      }
      res.writeHead(200, SSE_HEADERS);
      upRes.setEncoding("utf8");
      let pending = "";
      let answer = "";
      let done = false;
      let waiting = false;
      const resume = () => {
        waiting = false;
        upRes.resume();
      };
      upRes.on("data", (chunk: string) => {
        pending += chunk;
        let end = pending.indexOf("\n");
        while (end !== -1) {
          const line = pending.slice(0, end).trimEnd();
          pending = pending.slice(end + 1);
          end = pending.indexOf("\n");
          if (!line.startsWith("data:")) continue;
          const data = line.slice(line[5] === " " ? 6 : 5);
          if (data === "[DONE]") {
            done = true;
            continue;
          }
          let text: string | undefined;
          try {
            text = (JSON.parse(data) as { choices?: { text?: string }[] }).choices?.[0]?.text;
          } catch {
            up.destroy();
            res.destroy();
            return;
          }
          if (!text) continue;
          if (body.stream === false) answer += text;
          else if (!res.write(encodeEvent(text)) && !waiting) {
            waiting = true;
            upRes.pause();
            res.once("drain", resume);
          }
        }
      });
      upRes.on("end", () => {
        if (!done && !upRes.complete) return;
        if (body.stream === false) res.write(encodeEvent(answer));
        res.end();
      });
      upRes.on("aborted", () => res.destroy());
      upRes.on("error", () => res.destroy());
    },
  );
  up.on("error", () => {
    if (res.headersSent) res.destroy();
    else if (!res.destroyed) res.writeHead(502).end("upstream request failed");
  });
  // 'close' comes when the response has ended or the client went away; destroying a finished
  // upstream request is harmless (its socket has gone back to the agent by then).
  res.once("close", () => {
    if (!res.writableFinished) up.destroy();
  });
  req.resume();
  up.end(payload);
}

/**
 * Starts the floor endpoint on 127.0.0.1, a free port.
 *
 * @param upstreamURL - the upstream's base URL, ending in `/v1`
 * @example
 * ```ts
 * const floor = await serveFloor(upstream.url);
 * await measureConcurrency(config, floor.url, upstream);
 * await floor.close();
 * ```
 */
export async function serveFloor(upstreamURL: string): Promise<EndpointServer> {
  const upstream = new URL(upstreamURL.endsWith("/") ? upstreamURL : `${upstreamURL}/`);
  // Keep-alive and no socket cap, as undici's pool behind the SDK has.
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const server = createServer((req, res) => {
    if (req.method !== "POST" || req.url !== "/other/completion") {
      res.writeHead(404).end();
      return;
    }
    readJson(req).then(
      (body) => handle(upstream, agent, body, req, res),
      (error: unknown) => res.writeHead(400).end(String(error)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // The same backlog as serveCompletion: with Node's 511, hundreds of clients connecting at once
    // overflow the accept queue and retry only after a second, which would measure the kernel.
    server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
