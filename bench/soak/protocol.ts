/**
 * The messages between the soak run and its endpoint child over Node's IPC channel. The endpoint
 * lives in a process of its own, started with `--expose-gc`, so that its heap after a full GC is
 * the endpoint's alone: no clients, no upstream, no benchmark bookkeeping in it.
 *
 * @packageDocumentation
 */

/** Which endpoint the child serves: this library's `serveCompletion`, or the hand-written floor. */
export type SoakEndpointId = "ours" | "floor";

/** A question to the endpoint child; answered by a {@link SoakReply} with the same id. */
export type SoakRequest =
  /** Two full GCs, then `process.memoryUsage()`. */
  | { id: number; op: "memory" }
  /** Stops the server; the child exits once the channel closes. */
  | { id: number; op: "close" };

export type SoakReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string };

/** The child's first message: the endpoint is listening. */
export interface SoakReady {
  ready: true;
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
}

/** The endpoint child's memory after two full GCs, bytes. */
export interface MemorySample {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}
