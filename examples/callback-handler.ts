/**
 * The Python original's pattern, by hand: run any chain in the background with an
 * AsyncIteratorCallbackHandler attached, and read its tokens. `completion({ stream: true })` does
 * exactly this, plus cancellation.
 *
 *   npx tsx examples/callback-handler.ts
 */
import { ChatOpenAI } from "@langchain/openai";
import { AsyncIteratorCallbackHandler, createCompletionChain } from "completion-chain";
import { startOpenAICompatibleServer } from "completion-chain/testing";

const server = await startOpenAICompatibleServer({ delayMs: 20 });
try {
  const model = new ChatOpenAI({
    model: "any",
    apiKey: "unused",
    configuration: { baseURL: server.url },
  });
  const chain = createCompletionChain({ model, prompt: "{input}" });

  const handler = new AsyncIteratorCallbackHandler();
  const controller = new AbortController();
  const run = chain
    .invoke(
      { input: "tokens arrive through the callback handler" },
      { callbacks: [handler], signal: controller.signal },
    )
    .then(
      () => handler.close(),
      (error: unknown) => handler.close(error), // a failure ends the loop below instead of hanging it
    );
  try {
    for await (const token of handler.aiter()) process.stdout.write(token);
  } finally {
    controller.abort(); // stop the upstream request if the loop ended early
    await run;
  }
  process.stdout.write("\n");
} finally {
  await server.close();
}
