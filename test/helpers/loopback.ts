import type { Server } from "node:net";
import type { Socket } from "node:net";

/** A server listening on 127.0.0.1, as {@link listenOnLoopback} leaves it. */
export interface LoopbackServer {
  port: number;
  /** Destroys every open connection and closes the server; the same promise on every call. */
  close(): Promise<void>;
}

/**
 * Listens on a free port of 127.0.0.1, keeping track of the connections, so that `close()` ends
 * the ones a test left open (a stalled stream, a keep-alive socket) instead of waiting on them.
 *
 * @param server - an `http`, `https` or `net` server, not yet listening
 */
export async function listenOnLoopback(server: Server): Promise<LoopbackServer> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
