/**
 * The soak run's endpoint, as a child process started with `--expose-gc`: `serveCompletion` (ours)
 * or the floor endpoint (`subjects/floor-endpoint.ts`), both against the upstream child whose URL
 * it is given, answering memory questions over IPC. Started by `endpoint-process.ts`; not meant
 * to be run by hand.
 *
 * @packageDocumentation
 */

import { serveEndpoint } from "../concurrency/serve-endpoint.js";
import { answerRequests } from "../shared/server-child.js";
import type { MemorySample, SoakRequest } from "./protocol.js";

const [id, upstreamURL] = process.argv.slice(2);
const gc = globalThis.gc;
if (process.send === undefined || gc === undefined || upstreamURL === undefined) {
  process.stderr.write(
    "bench/soak/endpoint-child.ts is started by `npm run bench -- --soak` (over IPC, with --expose-gc)\n",
  );
  process.exit(2);
}

// Tracing would add LangSmith's work (and its buffers) to ours, and send runs off the machine.
for (const name of ["LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGCHAIN_TRACING"]) {
  delete process.env[name];
}

const server = await serveEndpoint(id === "floor" ? "floor" : "ours", upstreamURL);

/**
 * Two full collections: the first can leave objects that only a finalizer or a weak callback
 * frees, which the second then collects.
 */
function memory(): MemorySample {
  gc?.();
  gc?.();
  const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
  return { heapUsed, rss, external, arrayBuffers };
}

async function answer(request: SoakRequest): Promise<unknown> {
  switch (request.op) {
    case "memory":
      return memory();
    case "close":
      await server.close();
      return true;
  }
}

answerRequests(server.url, answer, () => process.exit(0));
