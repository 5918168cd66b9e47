/**
 * Read the endpoint's stream as a browser or Node client would: `fetch` + eventsource-parser.
 * `?end=1` asks for the opt-in end frame (`event: end`), so the client knows the answer is complete
 * (without it the stream just closes, as sse-starlette's does) and stops reading there.
 * Starts its own server (offline) unless COMPLETION_URL points at a running one, e.g.
 * COMPLETION_URL=http://127.0.0.1:7861 npx tsx examples/http-client.ts
 */
import { serveCompletion } from "completion-chain/http/node";
import { startOpenAICompatibleServer } from "completion-chain/testing";
import { createParser } from "eventsource-parser";

let base = process.env.COMPLETION_URL;
let cleanup = async () => {};
if (!base) {
  const model = await startOpenAICompatibleServer({ delayMs: 20 });
  const server = await serveCompletion({
    port: 0,
    log: false,
    models: { local: { baseURL: model.url } },
  });
  base = server.url;
  cleanup = async () => {
    await server.close();
    await model.close();
  };
}

try {
  const response = await fetch(`${base}/other/completion?end=1`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: "streamed over SSE, token by token",
      stream: true,
      temperature: 0.7,
    }),
  });
  if (!response.ok || response.body === null)
    throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  let ended = false;
  const parser = createParser({
    onEvent(event) {
      if (event.event === "error") throw new Error(`stream failed: ${event.data}`);
      if (event.event === "end") ended = true;
      else process.stdout.write(event.data);
    },
  });
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  while (!ended) {
    const read = await reader.read();
    if (read.done) break;
    parser.feed(decoder.decode(read.value, { stream: true }));
  }
  await reader.cancel();
  process.stdout.write("\n");
  console.log(ended ? "ended by the end frame" : "the stream closed without an end frame");
} finally {
  await cleanup();
}
