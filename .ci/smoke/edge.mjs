// The library and the web handler load and run with no Node built-in and no @hono/node-server
// imported by the package itself (edge-hooks.mjs refuses them): a completion with an inline prompt
// touches no file system. The Node server stays on `completion-chain/http/node`.
import assert from "node:assert/strict";
import { register } from "node:module";

register("./edge-hooks.mjs", import.meta.url);

const { FakeListChatModel } = await import("@langchain/core/utils/testing");
const { completion } = await import("completion-chain");
const { createCompletionHandler } = await import("completion-chain/http");

const model = new FakeListChatModel({ responses: ["edge"] });
assert.equal(await completion({ query: "q", prompt: "{input}", model }), "edge");
const tokens = [];
for await (const token of completion({ query: "q", prompt: "{input}", model, stream: true })) {
  tokens.push(token);
}
assert.equal(tokens.join(""), "edge");
assert.equal(typeof createCompletionHandler, "function");
await import("completion-chain/http/node").then(
  () => assert.fail("the hooks let completion-chain/http/node load @hono/node-server"),
  (error) => assert.match(String(error), /imported @hono\/node-server|imported node:/),
);
console.log(`edge ok on node ${process.version}`);
