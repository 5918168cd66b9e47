/**
 * Serve POST /other/completion — the Chatchat-compatible endpoint — on Node. Runs offline: the
 * project's loopback server stands in for the model endpoint. Stop it with Ctrl-C.
 *
 *   npx tsx examples/http-server.ts            # then, in another shell:
 *   curl -N http://127.0.0.1:7861/other/completion -H 'content-type: application/json' \
 *        -d '{"query": "恼羞成怒", "stream": true}'
 *
 * With EXAMPLE_ONESHOT=1 it answers one request itself and exits (the project's tests run it so).
 */
import { serveCompletion } from "completion-chain/http/node";
import { startOpenAICompatibleServer } from "completion-chain/testing";

const model = await startOpenAICompatibleServer({ delayMs: 30 });
const server = await serveCompletion({
  port: process.env.EXAMPLE_ONESHOT ? 0 : 7861,
  models: { "qwen2.5-7b-instruct": { kind: "completion", baseURL: model.url } },
});
console.log(`POST ${server.url}/other/completion`);

const stop = async () => {
  await server.close();
  await model.close();
};
process.once("SIGINT", stop);

if (process.env.EXAMPLE_ONESHOT) {
  const response = await fetch(`${server.url}/other/completion`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "one request, then exit", stream: true }),
  });
  process.stdout.write(await response.text());
  await stop();
}
