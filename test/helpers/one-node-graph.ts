import { Annotation, END, START, StateGraph } from "@langchain/langgraph";

export const State = Annotation.Root({
  query: Annotation<string>,
  answer: Annotation<string>,
});

/** A one-node graph whose node answers with `read`. */
export function graphOf(read: (query: string) => Promise<string>) {
  return new StateGraph(State)
    .addNode("respond", async (state: typeof State.State) => ({ answer: await read(state.query) }))
    .addEdge(START, "respond")
    .addEdge("respond", END)
    .compile();
}
