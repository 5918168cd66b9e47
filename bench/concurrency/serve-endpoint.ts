/**
 * Serves one of the concurrency run's endpoints in this process, against the upstream at
 * `upstreamURL`: ours (`serveCompletion` with the bench registry, no log lines), the floor or the
 * raw-openai route.
 *
 * @packageDocumentation
 */

import { serveCompletion } from "../../src/http/node/index.js";
import { serveFloor } from "../subjects/floor-endpoint.js";
import type { EndpointServer } from "../subjects/hand-route.js";
import { serveRawOpenAI } from "../subjects/raw-openai-endpoint.js";
import { benchRegistry } from "../subjects/variants.js";
import type { EndpointId } from "./measure.js";

export function serveEndpoint(id: EndpointId, upstreamURL: string): Promise<EndpointServer> {
  switch (id) {
    case "ours":
      return serveCompletion({ port: 0, log: false, models: benchRegistry(upstreamURL) });
    case "floor":
      return serveFloor(upstreamURL);
    case "raw-openai":
      return serveRawOpenAI(upstreamURL);
  }
}
