/** The entry points a failure can come out of, for the secrets-*.test.ts files. */
import { completion, createCompletionChain } from "../../src/index.js";
import type { Target } from "./key-sources.js";

export const PATHS = [
  "completion({ stream: true })",
  "completion()",
  "createCompletionChain().invoke()",
  "createCompletionChain().stream()",
] as const;
export type Path = (typeof PATHS)[number];

export interface RunExtras {
  signal?: AbortSignal;
  timeout?: number;
}

/** Runs `path` to its end and returns what it threw (or fails the test when nothing was thrown). */
export async function thrownBy(path: Path, target: Target, extras: RunExtras): Promise<unknown> {
  const options = {
    query: "q",
    ...target.options,
    ...(extras.signal === undefined ? {} : { signal: extras.signal }),
    ...(extras.timeout === undefined ? {} : { timeout: extras.timeout }),
  };
  try {
    switch (path) {
      case "completion({ stream: true })":
        for await (const _ of completion({ ...options, stream: true })) {
          // read to the end
        }
        break;
      case "completion()":
        await completion(options);
        break;
      case "createCompletionChain().invoke()": {
        const chain = createCompletionChain({
          model: await target.chainModel(),
          ...(extras.timeout === undefined ? {} : { timeout: extras.timeout }),
        });
        await chain.invoke({ input: "q" }, { signal: extras.signal });
        break;
      }
      case "createCompletionChain().stream()": {
        const chain = createCompletionChain({
          model: await target.chainModel(),
          ...(extras.timeout === undefined ? {} : { timeout: extras.timeout }),
        });
        for await (const _ of await chain.stream({ input: "q" }, { signal: extras.signal })) {
          // read to the end
        }
        break;
      }
    }
  } catch (error) {
    return error;
  }
  throw new Error(`${path} did not fail`);
}
