/**
 * Serves one of the concurrency run's endpoints in this process, against the upstream at
 * `upstreamURL`: ours (`serveCompletion` with the bench registry, no log lines), the floor or the
 * raw-openai route. Each is imported when asked for, so a process that serves one (`--fresh`, the
 * soak) holds that one's code alone: the floor's process does not load LangChain.
 *
 * @packageDocumentation
 */

import type { EndpointServer } from "../subjects/hand-route.js";
import { benchRegistry } from "../subjects/request-settings.js";
import type { EndpointId } from "./measure.js";

export async function serveEndpoint(id: EndpointId, upstreamURL: string): Promise<EndpointServer> {
  switch (id) {
    case "ours": {
      const { serveCompletion } = await import("../../src/http/node/index.js");
      return serveCompletion({ port: 0, log: false, models: benchRegistry(upstreamURL) });
    }
    case "floor": {
      const { serveFloor } = await import("../subjects/floor-endpoint.js");
      return serveFloor(upstreamURL);
    }
    case "raw-openai": {
      const { serveRawOpenAI } = await import("../subjects/raw-openai-endpoint.js");
      return serveRawOpenAI(upstreamURL);
    }
  }
}
