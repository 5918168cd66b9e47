// Imports the packed package as ESM and streams from its own testing server.
import assert from "node:assert/strict";
import { completion, isCompletionError } from "completion-chain";
import { serveCompletion } from "completion-chain/http/node";
import { startOpenAICompatibleServer } from "completion-chain/testing";

const server = await startOpenAICompatibleServer({ tokens: ["Hello", ",", " 世界", " 🌍"] });
try {
  const models = { smoke: { kind: "chat", baseURL: server.url, apiKey: "k", maxRetries: 0 } };
  const tokens = [];
  for await (const token of completion({ query: "hi", stream: true, models })) tokens.push(token);
  assert.deepEqual(tokens, ["Hello", ",", " 世界", " 🌍"]);
  assert.equal(await completion({ query: "hi", models, echo: true }), "hiHello, 世界 🌍");
  await completion({ query: "hi", models, promptName: "nope" }).then(
    () => assert.fail("expected unknown_prompt"),
    (error) => assert.ok(isCompletionError(error) && error.code === "unknown_prompt"),
  );
  const api = await serveCompletion({ port: 0, log: false, models });
  try {
    const response = await fetch(`${api.url}/other/completion`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "hi", stream: true }),
    });
    assert.equal(
      await response.text(),
      "data: Hello\r\n\r\ndata: ,\r\n\r\ndata:  世界\r\n\r\ndata:  🌍\r\n\r\n",
    );
  } finally {
    await api.close();
  }
  console.log(`esm ok on node ${process.version}`);
} finally {
  await server.close();
}
