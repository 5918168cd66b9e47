import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { afterEach, describe, expect, test } from "vitest";
import { writeSessionToNode } from "../src/http/node/write-session.js";
import type { SseSession } from "../src/http/session.js";
import { sseBody } from "../src/http/web-body.js";
import { sleep } from "./helpers/fixtures.js";
import { TRANSPORTS, type Transport } from "./helpers/http.js";
import { sessionOver } from "./helpers/sse-session.js";

/**
 * A source of 20,000 4 KB tokens (80 MB) that counts how many were pulled. Each pull waits a turn
 * of the event loop, so a transport that ignored backpressure would drain it, not starve the loop.
 */
function endless() {
  let pulled = 0;
  let returned = false;
  const token = "x".repeat(4_096);
  const iterator: AsyncIterator<string> = {
    next: () =>
      new Promise((resolve) =>
        setImmediate(() => {
          pulled += 1;
          resolve(
            pulled > 20_000 ? { value: undefined, done: true } : { value: token, done: false },
          );
        }),
      ),
    return: async () => {
      returned = true;
      return { value: undefined, done: true };
    },
  };
  return { iterator, pulled: () => pulled, returned: () => returned };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Serves one session per request, written the way `transport` writes it. */
async function serveSession(transport: Transport, make: () => SseSession): Promise<string> {
  const server =
    transport === "node"
      ? createServer((_request, response) => {
          void writeSessionToNode(make(), 200, { "content-type": "text/event-stream" }, response);
        })
      : (createAdaptorServer({
          fetch: () => new Response(sseBody(make())),
          overrideGlobalObjects: false,
        }) as Server);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe.each(TRANSPORTS)("%s transport: backpressure", (transport: Transport) => {
  test("a client that stops reading stops the pulls: frames wait in the source, not in memory", async () => {
    const source = endless();
    const url = await serveSession(transport, () => sessionOver(source.iterator));
    const response = await fetch(url);
    const reader = response.body?.getReader();
    await reader?.read();
    // Wait until the pulls stop: every buffer between here and the client is full.
    let pulled = -1;
    for (let polls = 0; polls < 50 && source.pulled() !== pulled; polls += 1) {
      pulled = source.pulled();
      await sleep(100);
    }
    expect(source.pulled()).toBe(pulled);
    // Loopback socket buffers hold a few MB; 64 MB would mean nothing pushed back.
    expect(pulled * 4_096).toBeLessThan(64 * 1024 * 1024);
    // Reading again resumes the pulls; leaving cancels the source.
    for (let chunks = 0; chunks < 200; chunks += 1) await reader?.read();
    await sleep(50);
    expect(source.pulled()).toBeGreaterThan(pulled);
    await reader?.cancel();
    for (let polls = 0; polls < 50 && !source.returned(); polls += 1) await sleep(20);
    expect(source.returned()).toBe(true);
  });
});
