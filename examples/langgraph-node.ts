/**
 * The completion chain as a LangGraph node, its tokens streamed out of the graph with
 * `streamMode: "messages"`. That mode listens to chat-model callbacks only, so the chain's model must
 * be a chat model (ChatOpenAI here); with the completions `OpenAI` model the node still answers, but
 * the "messages" stream stays empty. Runs offline against the testing server.
 *
 *   npx tsx examples/langgraph-node.ts
 */
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { ChatOpenAI } from "@langchain/openai";
import { createCompletionChain } from "completion-chain";
import { startOpenAICompatibleServer } from "completion-chain/testing";

const server = await startOpenAICompatibleServer({ tokens: ["Graphs", " stream", " tokens"] });
try {
  const model = new ChatOpenAI({
    model: "any",
    apiKey: "unused",
    configuration: { baseURL: server.url },
  });
  const chain = createCompletionChain({ model, prompt: "Answer briefly: {input}" });

  const State = Annotation.Root({ question: Annotation<string>, answer: Annotation<string> });
  const graph = new StateGraph(State)
    .addNode("respond", async (state: typeof State.State) => ({
      answer: await chain.invoke({ input: state.question }),
    }))
    .addEdge(START, "respond")
    .addEdge("respond", END)
    .compile();

  const tokens: string[] = [];
  const stream = await graph.stream({ question: "what is a node?" }, { streamMode: "messages" });
  for await (const [message, metadata] of stream) {
    const text = message.content;
    if (metadata.langgraph_node !== "respond" || typeof text !== "string" || text === "") continue;
    tokens.push(text);
    process.stdout.write(`[${text}]`);
  }
  process.stdout.write("\n");
  // The test checks this line: the tokens arrived one by one, through the graph.
  console.log(`tokens through the graph: ${tokens.length}`);
} finally {
  await server.close();
}
