/**
 * Embed the completion chain in a bigger LCEL pipeline: pre-process the question, run the chain,
 * post-process its answer, stream the result, and batch several inputs.
 *
 *   npx tsx examples/pipeline.ts
 */
import { RunnableLambda, RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import { OpenAI } from "@langchain/openai";
import { createCompletionChain } from "completion-chain";
import { startOpenAICompatibleServer } from "completion-chain/testing";

const server = await startOpenAICompatibleServer();
try {
  const model = new OpenAI({
    model: "any",
    apiKey: "unused",
    configuration: { baseURL: server.url },
  });
  const answer = createCompletionChain({ model, prompt: "Answer briefly: {input}" });

  const pipeline = RunnableSequence.from([
    RunnableLambda.from((question: string) => ({ input: question.trim() })),
    RunnablePassthrough.assign({ answer }),
    RunnableLambda.from(
      ({ input, answer }: { input: string; answer: string }) =>
        `${input} → ${answer.length} characters`,
    ),
  ]);

  console.log(await pipeline.invoke("  what is LCEL?  "));
  console.log(await answer.batch([{ input: "one" }, { input: "two" }]));
  for await (const token of await answer.stream({ input: "streamed inside a pipeline" }))
    process.stdout.write(`[${token}]`);
  process.stdout.write("\n");
} finally {
  await server.close();
}
