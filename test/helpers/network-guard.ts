import dns from "node:dns";
import net from "node:net";
import tls from "node:tls";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/i;

/** A record of every attempt to reach a host other than loopback, refused on the spot. */
export interface NetworkGuard {
  attempts: string[];
  restore(): void;
}

function hostOf(args: unknown[]): string | undefined {
  const [first, second] = args;
  if (typeof first === "object" && first !== null) {
    const options = first as { host?: string; hostname?: string; path?: string };
    if (options.path) return undefined; // a Unix socket
    return options.host ?? options.hostname ?? "localhost";
  }
  if (typeof first === "number") return typeof second === "string" ? second : "localhost";
  return undefined;
}

/**
 * Refuses every DNS lookup and TCP/TLS connection to a non-loopback host and records it. Node's
 * `fetch` (undici) connects through `net.connect`/`tls.connect` and resolves through `dns.lookup`,
 * so this catches what LangChain or openai-node would send anywhere but 127.0.0.1.
 */
export function guardNetwork(): NetworkGuard {
  const attempts: string[] = [];
  const originals = {
    lookup: dns.lookup,
    promisesLookup: dns.promises.lookup,
    netConnect: net.connect,
    netCreateConnection: net.createConnection,
    tlsConnect: tls.connect,
  };
  const refused = (host: string) => {
    const error = new Error(
      `connect ECONNREFUSED ${host} (refused by the test's network guard)`,
    ) as NodeJS.ErrnoException;
    error.code = "ECONNREFUSED";
    return error;
  };
  // biome-ignore lint/suspicious/noExplicitAny: patched signatures are overloaded
  const patch = (original: any) =>
    function patched(this: unknown, ...args: unknown[]) {
      const host = hostOf(args);
      if (host !== undefined && !LOOPBACK.test(host)) {
        attempts.push(host);
        const socket = new net.Socket();
        process.nextTick(() => socket.destroy(refused(host)));
        return socket;
      }
      return original.apply(this, args);
    };
  // biome-ignore lint/suspicious/noExplicitAny: patched signatures are overloaded
  (dns as any).lookup = function lookup(hostname: string, ...rest: unknown[]) {
    if (!LOOPBACK.test(hostname)) {
      attempts.push(hostname);
      const callback = rest.at(-1) as (error: Error) => void;
      process.nextTick(() => callback(refused(hostname)));
      return;
    }
    // biome-ignore lint/suspicious/noExplicitAny: forwarding
    return (originals.lookup as any).call(dns, hostname, ...rest);
  };
  // biome-ignore lint/suspicious/noExplicitAny: patched signature
  (dns.promises as any).lookup = async (hostname: string, ...rest: unknown[]) => {
    if (!LOOPBACK.test(hostname)) {
      attempts.push(hostname);
      throw refused(hostname);
    }
    // biome-ignore lint/suspicious/noExplicitAny: forwarding
    return (originals.promisesLookup as any).call(dns.promises, hostname, ...rest);
  };
  net.connect = patch(originals.netConnect);
  net.createConnection = patch(originals.netCreateConnection);
  tls.connect = patch(originals.tlsConnect);
  return {
    attempts,
    restore() {
      dns.lookup = originals.lookup;
      dns.promises.lookup = originals.promisesLookup;
      net.connect = originals.netConnect;
      net.createConnection = originals.netCreateConnection;
      tls.connect = originals.tlsConnect;
    },
  };
}
