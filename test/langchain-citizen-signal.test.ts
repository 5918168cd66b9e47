import { describe, expect, test } from "vitest";
import { buildRegisteredModel, createCompletionChain, isCompletionError } from "../src/index.js";
import { registry, upstream } from "./helpers/fixtures.js";
import { sent, slow } from "./helpers/four-tokens.js";

const settings = { temperature: 0.7, maxTokens: 1024 };

describe("the chain's own Runnable methods obey their signal", () => {
  test.each([["test-completion"], ["test-chat"]])(
    "aborting the signal given to the chain's stream() or invoke() fails it with a CompletionError aborted (%s)",
    async (name) => {
      const server = await upstream(slow);
      const chain = createCompletionChain({
        model: buildRegisteredModel(name, settings, { models: registry(server) }),
      });
      for (const method of ["stream", "invoke"] as const) {
        const controller = new AbortController();
        const before = server.tokensSent();
        void sent(server, before + 1).then(() => controller.abort());
        let thrown: unknown;
        try {
          if (method === "invoke") {
            await chain.invoke({ input: "q" }, { signal: controller.signal });
          } else {
            for await (const _ of await chain.stream(
              { input: "q" },
              { signal: controller.signal },
            )) {
              // read until the abort
            }
          }
        } catch (error) {
          thrown = error;
        }
        expect
          .soft({ method, code: isCompletionError(thrown) ? thrown.code : String(thrown) })
          .toEqual({ method, code: "aborted" });
        await server.waitForConnections(0);
        expect(server.tokensSent()).toBe(before + 1);
      }
    },
  );
});
