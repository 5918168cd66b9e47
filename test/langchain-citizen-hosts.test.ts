import { type RunnableConfig, RunnableLambda } from "@langchain/core/runnables";
import { END, START, StateGraph } from "@langchain/langgraph";
import { describe, expect, test } from "vitest";
import { completion, isCompletionError } from "../src/index.js";
import { reader, recordingReader } from "./helpers/completion-reader.js";
import { registry, sleep, upstream } from "./helpers/fixtures.js";
import { ANSWER, sent, slow, TOKENS } from "./helpers/four-tokens.js";
import { graphOf, State } from "./helpers/one-node-graph.js";
import { TokenRecorder } from "./helpers/token-recorder.js";

/** Where `completion()` runs: inside a one-node graph, or inside a RunnableLambda. */
const HOSTS = [
  {
    host: "a LangGraph node",
    run: (read: (query: string) => Promise<string>, config: RunnableConfig) =>
      graphOf(read)
        .invoke({ query: "q" }, config)
        .then((state) => state.answer),
  },
  {
    host: "a RunnableLambda",
    run: (read: (query: string) => Promise<string>, config: RunnableConfig) =>
      RunnableLambda.from(read).invoke("q", config),
  },
] as const;

const settled = (run: Promise<unknown>) =>
  run.then(
    () => "resolved",
    () => "rejected",
  );

describe.each(
  ["test-completion", "test-chat"].flatMap((model) => HOSTS.map((host) => ({ model, ...host }))),
)("completion() inside $host ($model)", ({ model, run }) => {
  // Whose signal is aborted, and whether the caller passes a signal of its own.
  test.each([
    ["the host's signal", "host", false],
    ["the caller's own signal", "own", true],
    ["the host's signal while the caller passes one of its own", "host", true],
  ] as const)(
    "aborting %s mid-answer fails it with aborted and closes the upstream socket before the next token",
    async (_name, which, ownSignal) => {
      const server = await upstream(slow);
      const own = new AbortController();
      const outer = new AbortController();
      const { seen, read } = reader(() => ({
        query: "",
        model,
        models: registry(server),
        ...(ownSignal ? { signal: own.signal } : {}),
      }));
      const outcome = settled(run(read, { signal: outer.signal }));
      await sent(server, 1);
      (which === "host" ? outer : own).abort();
      await server.waitForConnections(0);
      expect(server.tokensSent()).toBe(1);
      expect(await outcome).toBe("rejected");
      await seen.done;
      expect(seen.error?.code).toBe("aborted");
    },
  );

  test("breaking out of the loop closes the upstream socket before the next token", async () => {
    const server = await upstream(slow);
    const { seen, read } = reader(() => ({ query: "", model, models: registry(server) }), true);
    expect(await run(read, { callbacks: [new TokenRecorder()] })).toBe("alpha");
    await server.waitForConnections(0);
    expect(server.tokensSent()).toBe(1);
    expect(seen.error).toBeUndefined();
  });

  test("the host's callbacks and the caller's own both see every token", async () => {
    const server = await upstream({ tokens: TOKENS });
    const { own, outer, read } = recordingReader(server, model);
    expect(await run(read, { callbacks: [outer] })).toBe(ANSWER);
    expect(outer.tokens).toEqual(TOKENS);
    expect(own.tokens).toEqual(TOKENS);
  });
});

describe.each([["test-completion"], ["test-chat"]])("completion() inside a node (%s)", (model) => {
  test("without stream: true it rejects with aborted when the graph's signal aborts, and closes the socket", async () => {
    const server = await upstream(slow);
    const errors: unknown[] = [];
    const graph = new StateGraph(State)
      .addNode("respond", async (state: typeof State.State) => {
        try {
          return {
            answer: await completion({ query: state.query, model, models: registry(server) }),
          };
        } catch (error) {
          errors.push(error);
          throw error;
        }
      })
      .addEdge(START, "respond")
      .addEdge("respond", END)
      .compile();
    const controller = new AbortController();
    const outcome = settled(graph.invoke({ query: "q" }, { signal: controller.signal }));
    await sent(server, 1);
    controller.abort();
    await server.waitForConnections(0);
    expect(server.tokensSent()).toBe(1);
    expect(await outcome).toBe("rejected");
    while (errors.length === 0) await sleep(5);
    expect(isCompletionError(errors[0]) && errors[0].code).toBe("aborted");
  });
});
