import type { Runnable } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { describe, expectTypeOf, test } from "vitest";
import { type CompletionChainInput, completion, createCompletionChain } from "../src/index.js";

// These assertions are checked by `tsc` (npm run typecheck); at run time they only call nothing.
describe("public types", () => {
  test("completion() is typed by its stream option", () => {
    const model = new FakeListChatModel({ responses: ["x"] });
    const run = (stream: boolean) => {
      expectTypeOf(completion({ query: "q", model, stream: true })).toEqualTypeOf<
        AsyncIterable<string>
      >();
      expectTypeOf(completion({ query: "q", model, stream: false })).toEqualTypeOf<
        Promise<string>
      >();
      expectTypeOf(completion({ query: "q", model })).toEqualTypeOf<Promise<string>>();
      expectTypeOf(completion({ query: "q", model, stream })).toEqualTypeOf<
        AsyncIterable<string> | Promise<string>
      >();
    };
    expectTypeOf(run).toBeFunction();
  });

  test("createCompletionChain() is a Runnable from { input } to string", () => {
    const chain = createCompletionChain({ model: new FakeListChatModel({ responses: ["x"] }) });
    expectTypeOf(chain).toEqualTypeOf<Runnable<CompletionChainInput, string>>();
  });
});
