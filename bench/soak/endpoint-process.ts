/**
 * The soak run's handle on an endpoint child (`endpoint-child.ts`): forks it with `--expose-gc`,
 * waits until it listens, and asks it for its post-GC memory.
 *
 * @packageDocumentation
 */

import { fileURLToPath } from "node:url";
import { forkServerChild } from "../shared/server-child.js";
import type { MemorySample, SoakEndpointId, SoakRequest } from "./protocol.js";

/** A running endpoint child. */
export interface SoakEndpoint {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  /** Its memory after two full GCs in the child. */
  memory(): Promise<MemorySample>;
  /** Stops the server and waits for the child to exit (killing it after 5 s). */
  close(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL("./endpoint-child.ts", import.meta.url));

/**
 * Forks `endpoint-child.ts` under tsx with `--expose-gc`, serving `id` against `upstreamURL`.
 *
 * @param id - `ours` (`serveCompletion`) or `floor` (`subjects/floor-endpoint.ts`)
 * @param upstreamURL - the upstream child's base URL, ending in `/v1`
 * @example
 * ```ts
 * const endpoint = await startSoakEndpoint("ours", upstream.url);
 * const { heapUsed } = await endpoint.memory();
 * await endpoint.close();
 * ```
 */
export async function startSoakEndpoint(
  id: SoakEndpointId,
  upstreamURL: string,
): Promise<SoakEndpoint> {
  const child = await forkServerChild<SoakRequest>(ENTRY, {
    name: `${id} endpoint`,
    args: [id, upstreamURL],
    execArgv: ["--expose-gc"],
  });
  return {
    url: child.url,
    memory: () => child.ask<MemorySample>({ op: "memory" }),
    close: child.close,
  };
}
