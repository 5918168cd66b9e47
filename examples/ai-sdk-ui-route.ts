/**
 * The token stream in an AI SDK UI route (what `useChat` reads): `createUIMessageStream` from `ai`
 * turns the tokens into text-start / text-delta / text-end chunks and `createUIMessageStreamResponse`
 * sends them. The route below is a web-standard `POST` (a Next.js route handler, Hono, Bun…); this
 * script calls it once and reads the reply back into a UI message, as the browser would. Runs offline
 * against the testing server.
 *
 *   npx tsx examples/ai-sdk-ui-route.ts
 */
import {
  createUIMessageStream,
  createUIMessageStreamResponse,
  readUIMessageStream,
  type UIMessageChunk,
} from "ai";
import { completion, type ModelRegistry } from "completion-chain";
import { startOpenAICompatibleServer } from "completion-chain/testing";
import { createParser, type EventSourceParser } from "eventsource-parser";

const server = await startOpenAICompatibleServer({ tokens: ["Hello", " from", " the", " route"] });
const models: ModelRegistry = { local: { baseURL: server.url } };

/** The route: `{ query }` in, a UI message stream out. */
async function POST(request: Request): Promise<Response> {
  const { query } = (await request.json()) as { query: string };
  const stream = createUIMessageStream({
    async execute({ writer }) {
      const id = "answer";
      writer.write({ type: "text-start", id });
      for await (const delta of completion({ query, stream: true, models, signal: request.signal }))
        writer.write({ type: "text-delta", id, delta });
      writer.write({ type: "text-end", id });
    },
  });
  return createUIMessageStreamResponse({ stream });
}

try {
  const response = await POST(
    new Request("http://localhost/api/completion", {
      method: "POST",
      body: JSON.stringify({ query: "say hello" }),
    }),
  );
  // The body is SSE: one UIMessageChunk as JSON per event, then `[DONE]`. Parse it back into chunks…
  const decoder = new TextDecoder();
  let parser: EventSourceParser;
  const chunks = (response.body as ReadableStream<Uint8Array>).pipeThrough(
    new TransformStream<Uint8Array, UIMessageChunk>({
      start(controller) {
        parser = createParser({
          onEvent: (event) => {
            if (event.data !== "[DONE]") controller.enqueue(JSON.parse(event.data));
          },
        });
      },
      transform(bytes) {
        parser.feed(decoder.decode(bytes, { stream: true }));
      },
    }),
  );
  // …and into the UI message `useChat` would show.
  let text = "";
  for await (const message of readUIMessageStream({ stream: chunks })) {
    text = message.parts.map((part) => (part.type === "text" ? part.text : "")).join("");
  }
  // The test checks this line.
  console.log(`UI message text: ${text}`);
} finally {
  await server.close();
}
