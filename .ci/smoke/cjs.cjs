// Requires the packed package as CommonJS and streams from its own testing server.
const assert = require("node:assert/strict");
const { completion } = require("completion-chain");
const { startOpenAICompatibleServer } = require("completion-chain/testing");
const { createCompletionHandler } = require("completion-chain/http");

(async () => {
  const server = await startOpenAICompatibleServer({ tokens: ["a", " b", "\n", "🌍"] });
  try {
    const models = {
      smoke: { kind: "completion", baseURL: server.url, apiKey: "k", maxRetries: 0 },
    };
    const tokens = [];
    for await (const token of completion({ query: "hi", stream: true, models })) tokens.push(token);
    assert.deepEqual(tokens, ["a", " b", "\n", "🌍"]);
    // The bundled prompts/ must be found from the CommonJS build too.
    assert.equal(await completion({ query: "hi", models, promptName: "default" }), "a b\n🌍");
    const handler = createCompletionHandler({ models });
    const response = await handler(
      new Request("http://local/other/completion", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "hi" }),
      }),
    );
    assert.equal(await response.text(), "data: a b\r\ndata: 🌍\r\n\r\n");
    console.log(`cjs ok on node ${process.version}`);
  } finally {
    await server.close();
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
