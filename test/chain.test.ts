import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { RunnableLambda } from "@langchain/core/runnables";
import { RunCollectorCallbackHandler } from "@langchain/core/tracers/run_collector";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { describe, expect, test } from "vitest";
import { buildRegisteredModel, createCompletionChain, isCompletionError } from "../src/index.js";
import { collect, registry, upstream } from "./helpers/fixtures.js";

const settings = { temperature: 0.7, maxTokens: 1024 };

class RunRecorder extends BaseCallbackHandler {
  name = "RunRecorder";
  starts: {
    kind: string;
    name: string | undefined;
    tags: string[] | undefined;
    parent: string | undefined;
  }[] = [];
  tokens: string[] = [];
  constructor() {
    super({ _awaitHandler: true });
  }
  override handleChainStart(
    _chain: unknown,
    _inputs: unknown,
    _runId: string,
    // The order core 1.4's CallbackManager calls it with (manager.js), not its .d.ts.
    parentRunId?: string,
    tags?: string[],
    _metadata?: unknown,
    _runType?: string,
    runName?: string,
  ): void {
    this.starts.push({ kind: "chain", name: runName, tags, parent: parentRunId });
  }
  override handleLLMStart(
    _llm: unknown,
    _prompts: string[],
    _runId: string,
    parentRunId?: string,
    _extra?: unknown,
    tags?: string[],
  ): void {
    this.starts.push({ kind: "llm", name: undefined, tags, parent: parentRunId });
  }
  override handleChatModelStart(
    _llm: unknown,
    _messages: unknown,
    _runId: string,
    parentRunId?: string,
    _extra?: unknown,
    tags?: string[],
  ): void {
    this.starts.push({ kind: "chat", name: undefined, tags, parent: parentRunId });
  }
  override handleLLMNewToken(token: string): void {
    if (token) this.tokens.push(token);
  }
}

describe("createCompletionChain()", () => {
  test("it pipes into other runnables and batches", async () => {
    const server = await upstream();
    const model = buildRegisteredModel("test-completion", settings, { models: registry(server) });
    const chain = createCompletionChain({ model, prompt: "Say: {input}" });
    const shout = chain.pipe(RunnableLambda.from((text: string) => text.toUpperCase()));
    expect(await shout.invoke({ input: "hello world" })).toBe("SAY: HELLO WORLD");
    expect(await chain.batch([{ input: "a" }, { input: "b c" }])).toEqual(["Say: a", "Say: b c"]);
  });

  test(".stream() yields the model's tokens as they come, for chat models too", async () => {
    const server = await upstream({ tokens: ["one", " two", " 🌍"] });
    const model = buildRegisteredModel("test-chat", settings, { models: registry(server) });
    const chain = createCompletionChain({ model, echo: true });
    expect(await collect(await chain.stream({ input: "Q:" }))).toEqual([
      "Q:",
      "one",
      " two",
      " 🌍",
    ]);
  });

  test(".streamEvents v2 reports the chain run around the model's run and its stream, as LLMChain was traced", async () => {
    const server = await upstream({ tokens: ["a", "b"] });
    const model = buildRegisteredModel("test-completion", settings, { models: registry(server) });
    const chain = createCompletionChain({ model });
    const events: string[] = [];
    const streamed: string[] = [];
    for await (const event of chain.streamEvents({ input: "x" }, { version: "v2" })) {
      events.push(`${event.event}:${event.name}`);
      if (event.event === "on_llm_stream") streamed.push(event.data.chunk.text);
    }
    expect(events[0]).toBe("on_chain_start:CompletionChain");
    expect(events).toContain("on_chain_stream:CompletionChain");
    expect(events).toContain("on_llm_start:OpenAI");
    expect(events.at(-1)).toBe("on_chain_end:CompletionChain");
    expect(streamed.join("")).toBe("ab");
  });

  test("callbacks and tags reach the child runs, tokens included", async () => {
    const server = await upstream({ tokens: ["x", "y"] });
    const model = buildRegisteredModel("test-chat", settings, { models: registry(server) });
    const recorder = new RunRecorder();
    await createCompletionChain({ model }).invoke(
      { input: "q" },
      { callbacks: [recorder], tags: ["mine"] },
    );
    expect(recorder.starts[0]).toMatchObject({
      kind: "chain",
      name: "CompletionChain",
      parent: undefined,
    });
    const chat = recorder.starts.find((start) => start.kind === "chat");
    expect(chat?.parent).toBeDefined();
    expect(chat?.tags).toContain("mine");
    expect(recorder.tokens).toEqual(["x", "y"]);
  });

  test.each(["invoke", "stream"] as const)(
    "%s() is traced as one chain run, its input and whole output, around the model's run",
    async (method) => {
      const server = await upstream({ tokens: ["x", "y"] });
      const model = buildRegisteredModel("test-completion", settings, { models: registry(server) });
      const chain = createCompletionChain({ model, prompt: "Q: {input}" });
      const collector = new RunCollectorCallbackHandler();
      const options = { callbacks: [collector], runName: "mine" };
      if (method === "invoke") await chain.invoke({ input: "q" }, options);
      else await collect(await chain.stream({ input: "q" }, options));
      expect(collector.tracedRuns).toHaveLength(1);
      const [run] = collector.tracedRuns;
      expect(run).toMatchObject({
        name: "mine",
        run_type: "chain",
        inputs: { input: "q" },
        outputs: { output: "xy" },
      });
      expect(run?.child_runs?.map((child) => [child.run_type, child.inputs])).toEqual([
        ["llm", { prompts: ["Q: q"] }],
      ]);
    },
  );

  test.each(["invoke", "stream"] as const)(
    "%s(): an upstream failure ends the chain run with the error, after the model run's",
    async (method) => {
      const broken = await upstream({ status: 500 });
      const model = buildRegisteredModel("test-completion", settings, { models: registry(broken) });
      const chain = createCompletionChain({ model });
      const collector = new RunCollectorCallbackHandler();
      const run = async () =>
        method === "invoke"
          ? chain.invoke({ input: "q" }, { callbacks: [collector] })
          : collect(await chain.stream({ input: "q" }, { callbacks: [collector] }));
      await expect(run()).rejects.toMatchObject({ code: "upstream_error" });
      const [traced] = collector.tracedRuns;
      expect(traced?.name).toBe("CompletionChain");
      expect(traced?.error).toMatch(/upstream|500/i);
      expect(traced?.child_runs?.[0]?.error).toBeDefined();
    },
  );

  test(".withFallbacks() recovers from an upstream failure with another chain", async () => {
    const broken = await upstream({ status: 500 });
    const model = buildRegisteredModel("test-completion", settings, { models: registry(broken) });
    const fallback = createCompletionChain({
      model: new FakeListChatModel({ responses: ["from fallback"] }),
    });
    const chain = createCompletionChain({ model }).withFallbacks([fallback]);
    expect(await chain.invoke({ input: "q" })).toBe("from fallback");
  });

  test("an input without a string `input` fails with invalid_options", async () => {
    const chain = createCompletionChain({ model: new FakeListChatModel({ responses: ["x"] }) });
    const error = await chain.invoke({ query: "x" } as never).catch((caught: unknown) => caught);
    expect(isCompletionError(error) && error.code).toBe("invalid_options");
  });
});
