/**
 * Serves one of the concurrency run's endpoints in this process, against the upstream at
 * `upstreamURL`: ours (`serveCompletion` with the bench registry, no log lines), the floor or the
 * raw-openai route. Each is imported when asked for, so a process that serves one (`--fresh`, the
 * soak) holds that one's code alone: the floor's process does not load LangChain.
 *
 * @packageDocumentation
 */

import { readdir, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { EndpointServer } from "../subjects/hand-route.js";
import { benchRegistry } from "../subjects/request-settings.js";
import type { EndpointId, OursBuild } from "./measure.js";

const DIST_ENTRY = new URL("../../dist/http/node/index.js", import.meta.url);
const SRC_DIR = fileURLToPath(new URL("../../src/", import.meta.url));

/** The built entry, refused when missing or older than any file under `src/`. */
async function builtServeCompletion(): Promise<
  typeof import("../../src/http/node/index.js")["serveCompletion"]
> {
  const built = await stat(DIST_ENTRY).catch(() => undefined);
  if (built === undefined) throw new Error("--dist: no dist/; run `npm run build` first");
  for (const file of await readdir(SRC_DIR, { recursive: true })) {
    const changed = (await stat(`${SRC_DIR}${file}`)).mtimeMs;
    if (changed > built.mtimeMs) {
      throw new Error(`--dist: src/${file} changed after the build; run \`npm run build\` again`);
    }
  }
  // A computed specifier: the type checker must not need dist/ to exist.
  const entry: string = DIST_ENTRY.href;
  const module = (await import(entry)) as typeof import("../../src/http/node/index.js");
  return module.serveCompletion;
}

export async function serveEndpoint(
  id: EndpointId,
  upstreamURL: string,
  build: OursBuild = "src",
): Promise<EndpointServer> {
  switch (id) {
    case "ours": {
      const serveCompletion =
        build === "dist"
          ? await builtServeCompletion()
          : (await import("../../src/http/node/index.js")).serveCompletion;
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
