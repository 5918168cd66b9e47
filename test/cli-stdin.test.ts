import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { CliError } from "../src/cli/cli-error.js";
import { queryFromStdin, readStdinQuery } from "../src/cli/stdin-query.js";
import { MAX_STDIN_QUERY_BYTES } from "../src/defaults.js";
import { cli, oneLine } from "./helpers/cli-process.js";
import { upstream } from "./helpers/fixtures.js";

/** The usage error (exit 2) a promise rejected with: its message. */
async function usage(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(CliError);
  expect((error as CliError).exitCode).toBe(2);
  return (error as CliError).message;
}

describe("the query from stdin", () => {
  test("stdin is read for a - argument, or for no argument when stdin is not a terminal; never for no argument on a terminal", () => {
    expect(queryFromStdin(["-"], true)).toBe(true);
    expect(queryFromStdin(["-"], false)).toBe(true);
    expect(queryFromStdin([], false)).toBe(true);
    expect(queryFromStdin([], undefined)).toBe(true);
    expect(queryFromStdin([], true)).toBe(false);
    expect(queryFromStdin(["hi"], false)).toBe(false);
    expect(queryFromStdin(["-", "hi"], false)).toBe(false);
  });

  test("a query of exactly the limit is read whole, split characters included, one trailing line break dropped", async () => {
    const text = `a${"é".repeat(MAX_STDIN_QUERY_BYTES / 2 - 1)}\n`;
    const bytes = new TextEncoder().encode(text);
    expect(bytes.byteLength).toBe(MAX_STDIN_QUERY_BYTES);
    // Chunks of 3 bytes split "é"s between two chunks.
    const chunks = Array.from({ length: Math.ceil(bytes.length / 3) }, (_, index) =>
      bytes.subarray(index * 3, index * 3 + 3),
    );
    expect(await readStdinQuery(Readable.from(chunks))).toBe(text.slice(0, -1));
    expect(await readStdinQuery(Readable.from(["a\n\n"]))).toBe("a\n");
    expect(await readStdinQuery(Readable.from(["line 1\r\nline 2\r\n"]))).toBe("line 1\r\nline 2");
  });

  test("past the limit reading stops at the chunk that crosses it, with a usage error naming the limit", async () => {
    let pulled = 0;
    const endless = Readable.from(
      (function* () {
        for (;;) {
          pulled += 1;
          yield new Uint8Array(1000);
        }
      })(),
    );
    expect(await usage(readStdinQuery(endless, 4500))).toBe(
      "the query on stdin is over 4500 bytes (the limit)",
    );
    // Readable.from may read ahead up to its high-water mark (16 chunks); no further.
    expect(pulled).toBeLessThan(30);
    expect(endless.destroyed).toBe(true);
  });

  test("an empty or blank stdin, and bytes that are not UTF-8, are usage errors", async () => {
    expect(await usage(readStdinQuery(Readable.from([])))).toMatch(/^no query: stdin was empty/);
    expect(await usage(readStdinQuery(Readable.from([" \n"])))).toMatch(/^no query/);
    expect(await usage(readStdinQuery(Readable.from([new Uint8Array([0xff, 0x41])])))).toBe(
      "the query on stdin is not valid UTF-8",
    );
  });

  test("completion-chain - and completion-chain with no argument send what is piped in as the query", async () => {
    const server = await upstream({ tokens: ["ok"] });
    const flags = ["--base-url", server.url, "--model", "m", "--stream"];
    const [dash, omitted] = await Promise.all([
      cli(["-", ...flags], {}, "from a pipe\n").done,
      cli(flags, {}, "多字节 query\n").done,
    ]);
    expect([dash.code, dash.stdout, omitted.code, omitted.stdout]).toEqual([0, "ok\n", 0, "ok\n"]);
    const prompts = server.requests.map((request) => (request.body as { prompt?: unknown }).prompt);
    expect(prompts.sort()).toEqual(["from a pipe", "多字节 query"]);
  });

  test("over 1 MiB on stdin exits 2 with one line naming the limit, and nothing is sent", async () => {
    const server = await upstream({ tokens: ["ok"] });
    const { code, stdout, stderr } = await cli(
      ["--base-url", server.url, "--model", "m"],
      {},
      new Uint8Array(MAX_STDIN_QUERY_BYTES + 1).fill(0x61),
    ).done;
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(oneLine(stderr)).toBe("completion-chain: the query on stdin is over 1 MiB (the limit)");
    expect(server.requests).toHaveLength(0);
  });

  test("an empty stdin with no argument exits 2 with one line, and a bad flag is reported before stdin is read", async () => {
    const [empty, badFlag] = await Promise.all([
      cli([]).done,
      cli(["--temperature", "2"], {}, "hi").done,
    ]);
    expect(empty.code).toBe(2);
    expect(oneLine(empty.stderr)).toMatch(/^completion-chain: no query: stdin was empty/);
    expect(badFlag.code).toBe(2);
    expect(oneLine(badFlag.stderr)).toContain("`temperature` must be between 0 and 1");
  });

  // util-linux `script` gives the child a terminal for stdin; Node cannot.
  test.skipIf(process.platform !== "linux" || !existsSync("/usr/bin/script"))(
    "with no argument on a terminal it is the usage error of old, not a wait for typing",
    async () => {
      const cliPath = fileURLToPath(new URL("../src/cli/index.ts", import.meta.url));
      const command = `'${process.execPath}' --import tsx '${cliPath}' --stream`;
      const child = spawn("/usr/bin/script", ["-qec", command, "/dev/null"], {
        stdio: ["ignore", "pipe", "pipe"],
        env: Object.fromEntries(
          Object.entries(process.env).filter(([key]) => !key.startsWith("OPENAI_")),
        ),
      });
      let output = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk;
      });
      // A CLI waiting on the terminal would never exit: stop it and let the expectations fail.
      const stop = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const code = await new Promise((resolve) => child.on("close", resolve));
      clearTimeout(stop);
      expect(output).toContain("completion-chain: expected exactly one query");
      expect(code).toBe(2);
    },
  );
});
