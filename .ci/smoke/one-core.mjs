// The packed package's entry points share one core (tsup's code splitting): one CompletionError
// class, one model cache. Run as ESM here and as CommonJS by one-core.cjs.
import assert from "node:assert/strict";

/**
 * @param {object} main - `completion-chain`
 * @param {object} http - `completion-chain/http`
 * @param {object} testing - `completion-chain/testing`
 * @param {string} label - printed when all holds
 */
export async function checkOneCore(main, http, testing, label) {
  const server = await testing.startOpenAICompatibleServer({ tokens: ["ok"] });
  try {
    // The entry sets its own `timeout`, so the handler (whose default timeout fills in entries
    // without one) builds it with the same fields as `buildRegisteredModel` below.
    const models = {
      smoke: { kind: "completion", baseURL: server.url, apiKey: "k", maxRetries: 0, timeout: 30_000 },
    };
    const handler = http.createCompletionHandler({ models });
    const post = (body) =>
      handler(
        new Request("http://local/other/completion", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      );

    // An error made inside `completion-chain/http` is an instance of the main entry's class.
    const thrown = await Promise.resolve()
      .then(() => http.createCompletionHandler({ models: { bad: { baseURL: "ftp://x" } } }))
      .then(
        () => assert.fail("createCompletionHandler accepted a registry with an ftp:// baseURL"),
        (error) => error,
      );
    assert.ok(thrown instanceof main.CompletionError, `${label}: instanceof across entry points`);
    assert.equal(thrown.code, "invalid_options");

    // The model the main entry builds is the instance the HTTP handler uses: rename it there and
    // (a completions model: ChatOpenAI delegates to an inner client, so its rename would not show)
    // the upstream sees the new name in the handler's request.
    const model = main.buildRegisteredModel("smoke", { temperature: 0.5, maxTokens: 7 }, { models });
    model.model = "renamed-through-the-main-entry";
    const response = await post({ query: "hi", temperature: 0.5, max_tokens: 7 });
    assert.equal(await response.text(), "data: ok\r\n\r\n");
    const last = server.requests.at(-1);
    assert.equal(last.body.model, "renamed-through-the-main-entry", `${label}: one model cache`);
    console.log(`one core ok (${label}) on node ${process.version}`);
  } finally {
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await checkOneCore(
    await import("completion-chain"),
    await import("completion-chain/http"),
    await import("completion-chain/testing"),
    "esm",
  );
}
