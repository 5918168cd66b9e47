/**
 * One concurrency run in a process of its own (`npm run bench -- --fresh`): an upstream child of
 * its own, one endpoint served here, one measured run (`measure.ts`, its small warm-up included),
 * the result sent back over IPC, then everything closed. So every endpoint meets the load with
 * the code of its process, of Node's `http` and of the upstream as cold as every other endpoint's,
 * where in one shared process the endpoint measured first warms them for the ones after it.
 * Started by `fresh.ts`; not meant to be run by hand.
 *
 * @packageDocumentation
 */

import { describeError } from "../shared/describe-error.js";
import { startUpstreamProcess } from "../upstream/process.js";
import {
  type ConcurrencyConfig,
  type ConcurrencyResult,
  type EndpointId,
  measureConcurrency,
  type OursBuild,
} from "./measure.js";
import { serveEndpoint } from "./serve-endpoint.js";

/** What the parent asks for: one run. */
export interface FreshRequest {
  endpoint: EndpointId;
  config: ConcurrencyConfig;
  label: string;
  build: OursBuild;
}

export type FreshReply = { result: ConcurrencyResult } | { error: string };

const send = process.send?.bind(process);
if (send === undefined) {
  process.stderr.write(
    "bench/concurrency/fresh-child.ts is started by `npm run bench -- --fresh` over IPC\n",
  );
  process.exit(2);
}

// The environment is run.ts's, tracing variables already removed there (fork passes process.env).

// The benchmark gone (crashed or killed) closes the channel: no orphaned run.
process.on("disconnect", () => process.exit(0));

process.once("message", async ({ endpoint, config, label, build }: FreshRequest) => {
  let reply: FreshReply;
  const upstream = await startUpstreamProcess();
  try {
    const server = await serveEndpoint(endpoint, upstream.url, build);
    try {
      reply = { result: await measureConcurrency(config, server.url, upstream, label) };
    } finally {
      await server.close();
    }
  } catch (error) {
    reply = { error: describeError(error) };
  } finally {
    await upstream.close();
  }
  // Exit once the reply is on its way; fetch's idle keep-alive sockets would hold the process.
  send(reply, () => process.exit(0));
});
