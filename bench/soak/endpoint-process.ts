/**
 * The soak run's handle on an endpoint child (`endpoint-child.ts`): forks it with `--expose-gc`,
 * waits until it listens, and asks it for its post-GC memory.
 *
 * @packageDocumentation
 */

import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type {
  MemorySample,
  SoakEndpointId,
  SoakReady,
  SoakReply,
  SoakRequest,
} from "./protocol.js";

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
  const child = fork(ENTRY, [id, upstreamURL], {
    execArgv: ["--expose-gc", "--import", "tsx"],
    stdio: "inherit",
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const url = await new Promise<string>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the ${id} endpoint child exited with ${code}`)));
    child.on("message", (message: SoakReady | SoakReply) => {
      if ("ready" in message) return resolve(message.url);
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(`${id} endpoint: ${message.error}`));
    });
  });
  child.removeAllListeners("exit");
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.on("exit", (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`${id} exited with ${code}`));
    pending.clear();
  });

  const ask = <T>(question: Omit<SoakRequest, "id">): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const requestId = nextId++;
      pending.set(requestId, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...question, id: requestId });
    });

  return {
    url,
    memory: () => ask<MemorySample>({ op: "memory" }),
    close: async () => {
      if (child.exitCode !== null || !child.connected) return;
      await ask({ op: "close" }).catch(() => {});
      child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
