/**
 * Stream a completion token by token. Runs offline: the project's loopback server stands in for a
 * real endpoint (vLLM, Ollama, FastChat, OpenAI) — replace `baseURL` to use one.
 *
 *   npx tsx examples/stream.ts
 */
import { completion } from "completion-chain";
import { startOpenAICompatibleServer } from "completion-chain/testing";

const server = await startOpenAICompatibleServer({ delayMs: 30 });
try {
  const models = { "qwen2.5-7b-instruct": { kind: "completion" as const, baseURL: server.url } };

  for await (const token of completion({
    query: "恼羞成怒 means to fly into a rage out of shame",
    stream: true,
    models,
    temperature: 0.7,
    maxTokens: 1024,
  })) {
    process.stdout.write(token);
  }
  process.stdout.write("\n");

  // The same call without `stream` resolves to the whole answer.
  console.log(
    await completion({
      query: "one string, all at once",
      models,
      echo: true,
      prompt: "Q: {input}\nA: ",
    }),
  );
} finally {
  await server.close();
}
