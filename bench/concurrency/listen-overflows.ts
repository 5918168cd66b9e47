/**
 * Linux's count of connections dropped because a listening socket's accept queue was full
 * (`TcpExt: ListenOverflows` in /proc/net/netstat). A server whose event loop is saturated stops
 * accepting; the kernel then drops handshakes, and a client that had already sent its request gets
 * ECONNRESET. Counted machine-wide, so the difference over a run is that run's (and anything else
 * running meanwhile).
 *
 * @packageDocumentation
 */

import { readFile } from "node:fs/promises";

/** The counter now, or `undefined` where there is no /proc/net/netstat (not Linux). */
export async function listenOverflows(): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile("/proc/net/netstat", "utf8");
  } catch {
    return undefined;
  }
  // Two lines per group: names, then values.
  const lines = text.split("\n").filter((line) => line.startsWith("TcpExt:"));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const index = names.indexOf("ListenOverflows");
  return index < 0 ? undefined : Number(values[index]);
}
