/**
 * The messages between the soak run and its endpoint child over Node's IPC channel. The endpoint
 * lives in a process of its own, started with `--expose-gc`, so that its heap after a full GC is
 * the endpoint's alone: no clients, no upstream, no benchmark bookkeeping in it.
 *
 * @packageDocumentation
 */

/** Which endpoint the child serves: this library's `serveCompletion`, or the hand-written floor. */
export type SoakEndpointId = "ours" | "floor";

/**
 * A question to the endpoint child; answered by a `Reply` with the same id (see
 * `shared/server-child.ts`).
 */
export type SoakRequest =
  /** Two full GCs, then `process.memoryUsage()`. */
  | { id: number; op: "memory" }
  /** Stops the server; the child exits once the channel closes. */
  | { id: number; op: "close" };

/** The endpoint child's memory after two full GCs, bytes. */
export interface MemorySample {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}
