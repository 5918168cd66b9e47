/**
 * The concurrency run's handle on its client child (`clients-child.ts`): forks it, sends it one
 * request at a time and unwraps the answer. Its own channel rather than `shared/server-child.ts`:
 * the child serves nothing, answers one request at a time, and needs advanced serialization.
 *
 * @packageDocumentation
 */

import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ClientsReady, ClientsReply, ClientsRequest } from "./protocol.js";

const CLIENTS_ENTRY = fileURLToPath(new URL("./clients-child.ts", import.meta.url));

/** A running client child: one request at a time. */
export interface ClientsProcess {
  ask(request: ClientsRequest): Promise<ClientsReply>;
  /** Closes the channel (the child exits on that) and kills it if it has not gone within 5 s. */
  close(): Promise<void>;
}

/**
 * Forks `clients-child.ts` under tsx and waits until it is ready. Advanced serialization, so
 * `NaN` and `Infinity` in the summaries survive the trip.
 */
export async function startClientsProcess(): Promise<ClientsProcess> {
  const child = fork(CLIENTS_ENTRY, [], {
    execArgv: ["--import", "tsx"],
    stdio: "inherit",
    serialization: "advanced",
  });
  let waiter: { resolve: (reply: ClientsReply) => void; reject: (e: Error) => void } | undefined;
  let gone: Error | undefined;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.on("message", (message: ClientsReady | ClientsReply) => {
      if ("ready" in message) return resolve();
      const current = waiter;
      waiter = undefined;
      current?.resolve(message);
    });
    const fail = (error: Error) => {
      gone ??= error;
      reject(gone);
      waiter?.reject(gone);
      waiter = undefined;
    };
    child.once("error", fail);
    child.once("exit", (code, signal) =>
      fail(new Error(`the concurrency client child exited with ${code ?? signal}`)),
    );
  });
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await ready;
  } catch (error) {
    await close();
    throw error;
  }
  return {
    ask: (request) =>
      new Promise<ClientsReply>((resolve, reject) => {
        if (gone !== undefined) return reject(gone);
        waiter = { resolve, reject };
        child.send(request);
      }),
    close,
  };
}

/** Sends `request` and unwraps the child's answer of the expected kind. */
export async function expectReply<Op extends ClientsReply["op"]>(
  clients: ClientsProcess,
  request: ClientsRequest,
  op: Op,
): Promise<Extract<ClientsReply, { op: Op }>> {
  const reply = await clients.ask(request);
  if (reply.op === "error") throw new Error(`concurrency clients: ${reply.error}`);
  if (reply.op !== op) throw new Error(`concurrency clients: expected ${op}, got ${reply.op}`);
  return reply as Extract<ClientsReply, { op: Op }>;
}
