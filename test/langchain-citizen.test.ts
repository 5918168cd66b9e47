import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { LLM } from "@langchain/core/language_models/llms";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import {
  type Runnable,
  RunnableBinding,
  type RunnableConfig,
  RunnableLambda,
} from "@langchain/core/runnables";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { ChatOpenAI, OpenAI } from "@langchain/openai";
import { initChatModel } from "langchain/chat_models/universal";
import { describe, expect, test } from "vitest";
import {
  buildRegisteredModel,
  type CompletionError,
  completion,
  createCompletionChain,
  isCompletionError,
} from "../src/index.js";
import type { TestingServer } from "../src/testing/index.js";
import { setEnv } from "./helpers/env.js";
import { collect, failure, registry, sleep, upstream } from "./helpers/fixtures.js";
import { closedPort } from "./helpers/hostile-upstream.js";
import { guardNetwork } from "./helpers/network-guard.js";

const TOKENS = ["alpha", " beta", " gamma", " delta"];
const ANSWER = TOKENS.join("");
const settings = { temperature: 0.7, maxTokens: 1024 };

// The first token at once, then a long gap before each next one: an abort that closes the socket
// "at once" leaves exactly one token sent; one that waits for the next token leaves two.
const GAP_MS = 2_000;
const slow = { tokens: TOKENS, delayMs: (index: number) => (index === 0 ? 0 : GAP_MS) };

/** Records the tokens a run reports, in order (awaited, so none is still on its way at the end). */
class TokenRecorder extends BaseCallbackHandler {
  name = "TokenRecorder";
  tokens: string[] = [];
  constructor() {
    super({ _awaitHandler: true });
  }
  override handleLLMNewToken(token: string): void {
    if (token !== "") this.tokens.push(token);
  }
}

/** Resolves once the upstream has sent `n` tokens. */
async function sent(server: TestingServer, n: number): Promise<void> {
  while (server.tokensSent() < n) await sleep(5);
}

/** What a node or lambda saw of its completion: its tokens, and the error that ended it. */
interface Seen {
  tokens: string[];
  error: CompletionError | undefined;
  /** Resolves when the completion inside has ended, however it ended. */
  done: Promise<void>;
}

/**
 * A function that reads `completion({ stream: true })` with `options`, recording what it sees; with
 * `breakAfterFirst`, it leaves the loop after the first token.
 */
function reader(
  options: () => Parameters<typeof completion>[0],
  breakAfterFirst = false,
): { seen: Seen; read: (query: string) => Promise<string> } {
  let finished: () => void = () => {};
  const seen: Seen = {
    tokens: [],
    error: undefined,
    done: new Promise<void>((resolve) => {
      finished = resolve;
    }),
  };
  const read = async (query: string) => {
    try {
      for await (const token of completion({ ...options(), query, stream: true })) {
        seen.tokens.push(token);
        if (breakAfterFirst) break;
      }
      return seen.tokens.join("");
    } catch (error) {
      if (isCompletionError(error)) seen.error = error;
      throw error;
    } finally {
      finished();
    }
  };
  return { seen, read };
}

/**
 * A reader of `model` on `server` whose completion has a TokenRecorder of its own (`own`) among its
 * callbacks, plus a second recorder (`outer`) for the host's callbacks.
 */
function recordingReader(server: TestingServer, model: string) {
  const own = new TokenRecorder();
  const outer = new TokenRecorder();
  const { read } = reader(() => ({ query: "", model, models: registry(server), callbacks: [own] }));
  return { own, outer, read };
}

const State = Annotation.Root({
  query: Annotation<string>,
  answer: Annotation<string>,
});

/** A one-node graph whose node answers with `read`. */
function graphOf(read: (query: string) => Promise<string>) {
  return new StateGraph(State)
    .addNode("respond", async (state: typeof State.State) => ({ answer: await read(state.query) }))
    .addEdge(START, "respond")
    .addEdge("respond", END)
    .compile();
}

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

describe("a chat model's tokens reach LangGraph's and LangChain's streams from inside a node", () => {
  test('graph.stream(…, { streamMode: "messages" }) gets every token as its own message chunk, with the caller\'s callbacks kept', async () => {
    const server = await upstream({ tokens: TOKENS });
    const { own, outer, read } = recordingReader(server, "test-chat");
    const chunks: string[] = [];
    for await (const [message, metadata] of await graphOf(read).stream(
      { query: "q" },
      { streamMode: "messages", callbacks: [outer] },
    )) {
      expect((metadata as { langgraph_node?: string }).langgraph_node).toBe("respond");
      const content = (message as BaseMessage).content;
      if (typeof content === "string" && content !== "") chunks.push(content);
    }
    expect(chunks).toEqual(TOKENS);
    expect(own.tokens).toEqual(TOKENS);
    expect(outer.tokens).toEqual(TOKENS);
  });

  test("graph.streamEvents (v2) reports each token as an on_chat_model_stream event", async () => {
    const server = await upstream({ tokens: TOKENS });
    const { read } = reader(() => ({ query: "", model: "test-chat", models: registry(server) }));
    const chunks: string[] = [];
    for await (const event of graphOf(read).streamEvents({ query: "q" }, { version: "v2" })) {
      if (event.event !== "on_chat_model_stream") continue;
      const content = (event.data.chunk as BaseMessage).content;
      if (typeof content === "string" && content !== "") chunks.push(content);
    }
    expect(chunks).toEqual(TOKENS);
  });

  test("a RunnableLambda's streamEvents (v2) reports each token as an on_chat_model_stream event", async () => {
    const server = await upstream({ tokens: TOKENS });
    const { read } = reader(() => ({ query: "", model: "test-chat", models: registry(server) }));
    const chunks: string[] = [];
    for await (const event of RunnableLambda.from(read).streamEvents("q", { version: "v2" })) {
      if (event.event !== "on_chat_model_stream") continue;
      const content = (event.data.chunk as BaseMessage).content;
      if (typeof content === "string" && content !== "") chunks.push(content);
    }
    expect(chunks).toEqual(TOKENS);
  });
});

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

describe("provider:model strings and initChatModel models stream token by token", () => {
  test('completion({ model: "openai:gpt-4o-mini", stream: true }) yields the tokens as the upstream sent them', async () => {
    const server = await upstream({ tokens: TOKENS });
    setEnv({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: "test-key" });
    expect(
      await collect(completion({ query: "q", model: "openai:gpt-4o-mini", stream: true })),
    ).toEqual(TOKENS);
    expect(await completion({ query: "q", model: "openai:gpt-4o-mini" })).toBe(ANSWER);
    expect(server.requests.map((request) => (request.body as { stream?: boolean }).stream)).toEqual(
      [true, true],
    );
  });

  test("an initChatModel model streams token by token through completion() and the chain", async () => {
    const server = await upstream({ tokens: TOKENS });
    setEnv({});
    const model = await initChatModel("gpt-4o-mini", {
      modelProvider: "openai",
      apiKey: "test-key",
      configuration: { baseURL: server.url },
      maxRetries: 0,
    });
    expect(await collect(completion({ query: "q", model, stream: true }))).toEqual(TOKENS);
    const chain = createCompletionChain({
      model: model as unknown as Runnable<BaseLanguageModelInput, unknown>,
    });
    expect(await collect(await chain.stream({ input: "q" }))).toEqual(TOKENS);
    expect(await chain.invoke({ input: "q" })).toBe(ANSWER);
  });
});

// ---------------------------------------------------------------------------------------------
// Wrapped models.

type Kind = "completion" | "chat";
type AnyModel = Runnable<BaseLanguageModelInput, unknown>;

function modelOn(kind: Kind, baseURL: string): AnyModel {
  const fields = { apiKey: "test-key", configuration: { baseURL }, maxRetries: 0 };
  return kind === "chat"
    ? new ChatOpenAI({ model: "gpt-4o-mini", ...fields })
    : (new OpenAI({ model: "gpt-3.5-turbo-instruct", ...fields }) as unknown as AnyModel);
}

type Wrapper = (model: AnyModel, kind: Kind) => Promise<AnyModel>;

/** Call options a wrapper binds (`stop`), which `RunnableConfig`'s type does not list. */
const STOP = { stop: ["STOP"] } as Partial<RunnableConfig>;

const WRAPPERS: readonly [string, Wrapper][] = [
  [".withRetry()", async (model) => model.withRetry({ stopAfterAttempt: 2 })],
  [
    ".withFallbacks() after a refused connection",
    async (model, kind) =>
      modelOn(kind, `http://127.0.0.1:${await closedPort()}/v1`).withFallbacks([model]),
  ],
  [
    ".withFallbacks() after a 500",
    async (model, kind) => {
      const failing = await upstream({ status: 500 });
      return modelOn(kind, failing.url).withFallbacks([model]);
    },
  ],
  [
    ".bind({ stop })",
    // What `.bind(kwargs)` made before core 1.x removed it: a RunnableBinding with kwargs.
    async (model) => new RunnableBinding({ bound: model, kwargs: STOP, config: {} }),
  ],
  [
    ".withConfig({ stop, tags })",
    async (model) => model.withConfig({ ...STOP, tags: ["wrapped"] }),
  ],
];

describe.each([["completion"], ["chat"]] as const)("a wrapped %s model", (kind) => {
  test.each(WRAPPERS)(
    "%s streams token by token through the chain and completion()",
    async (name, wrap) => {
      const server = await upstream({ tokens: TOKENS });
      const model = await wrap(modelOn(kind, server.url), kind);
      const chain = createCompletionChain({ model });
      expect(await collect(await chain.stream({ input: "q" }))).toEqual(TOKENS);
      expect(await chain.invoke({ input: "q" })).toBe(ANSWER);
      expect(await collect(completion({ query: "q", model, stream: true }))).toEqual(TOKENS);
      expect(await completion({ query: "q", model })).toBe(ANSWER);
      const bodies = server.requests.map((request) => request.body as Record<string, unknown>);
      expect(bodies).toHaveLength(4);
      for (const body of bodies) {
        expect(body.stream).toBe(true);
        if (name.includes("stop")) expect(body.stop).toEqual(["STOP"]);
      }
    },
  );

  test.each(
    WRAPPERS.flatMap(([name, wrap]) => [
      [name, "the connection dropped after two tokens", { dropAfterTokens: 2 }, wrap] as const,
      [name, "no finish reason", { omitFinishReason: true }, wrap] as const,
    ]),
  )("%s cut short (%s) still fails with upstream_incomplete", async (_name, _cut, script, wrap) => {
    const server = await upstream({ tokens: TOKENS, ...script });
    const model = await wrap(modelOn(kind, server.url), kind);
    const chain = createCompletionChain({ model });
    const outcomes = [
      await failure(async (tokens) => {
        for await (const token of completion({ query: "q", model, stream: true }))
          tokens.push(token);
      }),
      await failure(() => completion({ query: "q", model })),
      await failure(async (tokens) => {
        for await (const token of await chain.stream({ input: "q" })) tokens.push(token);
      }),
      await failure(() => chain.invoke({ input: "q" })),
    ];
    expect(outcomes.map(({ error }) => error.code)).toEqual([
      "upstream_incomplete",
      "upstream_incomplete",
      "upstream_incomplete",
      "upstream_incomplete",
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Models that cannot stream.

/** A chat model with only `_generate`: LangChain streams it as one chunk. */
class WholeChatModel extends BaseChatModel {
  _llmType(): string {
    return "whole-chat";
  }
  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const text = `whole chat answer to ${String(messages.at(-1)?.content)}`;
    return { generations: [{ text, message: new AIMessage(text) }] };
  }
}

/** An LLM with only `_call`. */
class WholeLLM extends LLM {
  _llmType(): string {
    return "whole-llm";
  }
  async _call(prompt: string): Promise<string> {
    return `whole llm answer to ${prompt}`;
  }
}

describe("a model that cannot stream gives its whole answer as one token", () => {
  test("ChatOpenAI({ streaming: false }) answers through completion(), the chain's stream() and invoke(), with one non-streamed request each and no other traffic", async () => {
    const server = await upstream({ tokens: TOKENS });
    const model = new ChatOpenAI({
      model: "gpt-4o-mini",
      apiKey: "test-key",
      configuration: { baseURL: server.url },
      maxRetries: 0,
      streaming: false,
    });
    const guard = guardNetwork();
    try {
      expect(await collect(completion({ query: "q", model, stream: true }))).toEqual([ANSWER]);
      expect(await completion({ query: "q", model })).toBe(ANSWER);
      const chain = createCompletionChain({ model });
      expect(await collect(await chain.stream({ input: "q" }))).toEqual([ANSWER]);
      expect(await chain.invoke({ input: "q" })).toBe(ANSWER);
    } finally {
      guard.restore();
    }
    expect(guard.attempts).toEqual([]);
    expect(server.requests).toHaveLength(4);
    for (const request of server.requests) {
      expect((request.body as { stream?: boolean }).stream ?? false).toBe(false);
    }
  });

  test.each([
    [
      "a BaseChatModel with only _generate",
      () => new WholeChatModel({}),
      "whole chat answer to Q: hi",
    ],
    ["an LLM with only _call", () => new WholeLLM({}), "whole llm answer to Q: hi"],
  ])(
    "%s answers in one token through completion({ stream: true }), completion() and the chain's stream()",
    async (_name, make, answer) => {
      const model = make();
      const prompt = "Q: {input}";
      expect(await collect(completion({ query: "hi", prompt, model, stream: true }))).toEqual([
        answer,
      ]);
      expect(await completion({ query: "hi", prompt, model })).toBe(answer);
      const chain = createCompletionChain({ model, prompt });
      expect(await collect(await chain.stream({ input: "hi" }))).toEqual([answer]);
      expect(await chain.invoke({ input: "hi" })).toBe(answer);
    },
  );
});
