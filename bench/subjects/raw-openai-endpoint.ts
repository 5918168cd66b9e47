/**
 * The raw-openai route of the concurrency run: `POST /other/completion` as someone would write it
 * by hand in ~40 lines with `node:http` and the raw `openai` SDK, without LangChain or this
 * library. Same wire format as ours (sse-starlette framing, `data: <token>\r\n\r\n`,
 * `text/event-stream; charset=utf-8`), same place (the benchmark process), same upstream request as
 * the raw-SDK variant. Its figures are what a user gets without this library; the floor
 * (`floor-endpoint.ts`) is what the machine allows at all.
 *
 * It is not an endpoint to ship: no validation (a bad body is a 400 with the parse error), no model
 * registry (`model_name` goes upstream as the model id, as the bench registry's names are), no
 * prompt templates, no pings, no `event: error` frames (a stream that fails midway is cut off),
 * nothing but the one route. It does honour backpressure and cancels the upstream request when the
 * client goes, because without those it would not be a fair comparison but a broken endpoint.
 *
 * @packageDocumentation
 */

import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { encodeEvent } from "../../src/http/sse.js";
import { MAX_TOKENS, MODEL_ID, TEMPERATURE } from "./request-settings.js";
import { type EndpointServer, type RouteBody, readJson, SSE_HEADERS } from "./hand-route.js";

export type { EndpointServer } from "./hand-route.js";

async function handle(client: OpenAI, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "POST" || req.url !== "/other/completion") {
    res.writeHead(404).end();
    return;
  }
  let body: RouteBody;
  try {
    body = await readJson(req);
  } catch (error) {
    res.writeHead(400).end(String(error));
    return;
  }
  // 'close' comes when the response has ended or the client went away; only the latter matters,
  // and aborting a finished request is harmless.
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.once("close", onClose);
  try {
    const stream = await client.completions.create(
      {
        model: body.model_name ?? MODEL_ID.completion,
        prompt: body.query ?? "",
        stream: true,
        max_tokens: body.max_tokens ?? MAX_TOKENS,
        temperature: body.temperature ?? TEMPERATURE,
      },
      { signal: gone.signal },
    );
    res.writeHead(200, SSE_HEADERS);
    let answer = "";
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.text;
      if (!text) continue;
      if (body.stream === false) {
        answer += text;
      } else if (!res.write(encodeEvent(text))) {
        // Rejects with an AbortError if the client goes while we wait.
        await once(res, "drain", { signal: gone.signal });
      }
    }
    if (body.stream === false) res.write(encodeEvent(answer));
    res.end();
  } catch (error) {
    if (gone.signal.aborted) return;
    if (res.headersSent) res.destroy();
    else res.writeHead(502).end(String(error));
  } finally {
    res.off("close", onClose);
  }
}

/**
 * Starts the raw-openai route on 127.0.0.1, a free port.
 *
 * @param upstreamURL - the upstream's base URL, ending in `/v1`
 * @example
 * ```ts
 * const route = await serveRawOpenAI(upstream.url);
 * await measureConcurrency(config, route.url, upstream);
 * await route.close();
 * ```
 */
export async function serveRawOpenAI(upstreamURL: string): Promise<EndpointServer> {
  // As the raw-SDK variant builds it: no retries, so a failure shows rather than hides.
  const client = new OpenAI({ baseURL: upstreamURL, apiKey: "bench", maxRetries: 0 });
  const server = createServer((req, res) => {
    handle(client, req, res).catch(() => res.destroy());
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
      }),
  };
}
