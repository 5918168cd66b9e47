/**
 * A server run in a child process and questioned over Node's IPC channel: the upstream
 * (`upstream/child.ts`) and the soak run's endpoint (`soak/endpoint-child.ts`). The child says
 * when it listens, then answers every request with a reply carrying the request's id. Both sides
 * are here: {@link answerRequests} in the child, {@link forkServerChild} in the benchmark.
 *
 * @packageDocumentation
 */

import { fork } from "node:child_process";

/** The answer to the request with the same id. */
export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string };

/** The child's first message: the server is listening. */
export interface Ready {
  ready: true;
  /** The server's base URL. */
  url: string;
}

/** Every request carries an id, which the parent assigns, and names an operation. */
export interface Question {
  id: number;
  op: string;
}

/** Each kind of request without its id. */
export type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

/**
 * In the child: answers each request with `answer`'s value (or its error), calls `onDisconnect`
 * when the benchmark goes away (finished or crashed: the child must never outlive it), then tells
 * the benchmark that the server at `url` is listening.
 */
export function answerRequests<R extends Question>(
  url: string,
  answer: (request: R) => Promise<unknown>,
  onDisconnect: () => void,
): void {
  process.on("message", (message: R) => {
    answer(message).then(
      (value) => process.send?.({ id: message.id, ok: true, value } satisfies Reply),
      (error: unknown) =>
        process.send?.({ id: message.id, ok: false, error: String(error) } satisfies Reply),
    );
  });
  process.on("disconnect", onDisconnect);
  process.send?.({ ready: true, url } satisfies Ready);
}

/** The benchmark's handle on a running server child. */
export interface ServerChild<R extends Question> {
  url: string;
  pid: number;
  /** Sends `question` and resolves with the child's answer, or rejects with its error. */
  ask<T>(question: WithoutId<R>): Promise<T>;
  /**
   * Asks the child to close its server (`{ op: "close" }`, which its requests must include),
   * closes the channel and waits for the child to exit, killing it if it has not after 5 s.
   */
  close(): Promise<void>;
}

/**
 * Forks `entry` under tsx with `args` and waits until its server listens. The child gets only
 * `execArgv` and `--import tsx`, not this process's flags.
 *
 * @param name - names the child in errors, e.g. `upstream`
 */
export async function forkServerChild<R extends Question>(
  entry: string,
  options: { name: string; args?: string[]; execArgv?: string[] },
): Promise<ServerChild<R>> {
  const { name } = options;
  const child = fork(entry, options.args ?? [], {
    execArgv: [...(options.execArgv ?? []), "--import", "tsx"],
    stdio: "inherit",
  });
  const pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  const url = await new Promise<string>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the ${name} child exited with ${code}`)));
    child.on("message", (message: Ready | Reply) => {
      if ("ready" in message) return resolve(message.url);
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(`${name}: ${message.error}`));
    });
  });
  child.removeAllListeners("exit");
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.on("exit", (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`${name} exited with ${code}`));
    pending.clear();
  });

  const ask = <T>(question: WithoutId<R>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...question, id });
    });

  return {
    url,
    pid: child.pid ?? 0,
    ask,
    close: async () => {
      if (child.exitCode !== null || !child.connected) return;
      await ask({ op: "close" } as WithoutId<R>).catch(() => {});
      child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
