// `completion-chain serve --workers N`: one port served by N processes (node:cluster), a worker that
// dies replaced, SIGTERM draining them all, /metrics for the whole server.
import { spawn } from "node:child_process";
import { type AddressInfo, createServer } from "node:net";
import { availableParallelism } from "node:os";
import { describe, expect, inject, test } from "vitest";
import { workersFlag } from "../src/cli/flags.js";
import { cli, oneLine, type Run, serving } from "./helpers/cli-process.js";
import {
  isAlive,
  lines,
  listeningPids,
  logged,
  post,
  serveWorkers,
} from "./helpers/cluster-run.js";
import { upstream } from "./helpers/fixtures.js";
import { find, parseSamples } from "./helpers/prometheus-text.js";

const TIMEOUT = 60_000;

describe("serve --workers", () => {
  test(
    "--workers 2: requests are served by both workers, and /metrics counts every worker's",
    async () => {
      const { run, base } = await serveWorkers(["--workers", "2"]);
      try {
        const pids = await listeningPids(run, 2);
        expect(new Set(pids).size).toBe(2);
        // Concurrent requests open several connections, which the primary hands out in turn.
        const K = 6;
        const answers = await Promise.all(Array.from({ length: K }, () => post(base)));
        for (const answer of answers) expect(await answer.text()).toBe("data: ab\r\n\r\n");
        const served = await lines(run, (line) => line.path === "/other/completion", K);
        const servedBy = new Set(served.map((line) => line.pid));
        expect(servedBy).toEqual(new Set(pids));
        expect(servedBy.has(run.child.pid)).toBe(false);

        const samples = parseSamples(await (await fetch(`${base}/metrics`)).text());
        const completions = find(samples, "completion_chain_requests_total", {
          route: "/other/completion",
        });
        expect(completions.reduce((sum, sample) => sum + sample.value, 0)).toBe(K);
        expect(find(samples, "completion_chain_tokens_total")[0]?.value).toBe(2 * K);
        expect(find(samples, "completion_chain_streams_in_flight")[0]?.value).toBe(0);
      } finally {
        run.child.kill("SIGTERM");
        await run.done;
      }
    },
    TIMEOUT,
  );

  test(
    "a worker killed is replaced (the log names it and the new one), and requests still succeed",
    async () => {
      const { run, base } = await serveWorkers(["--workers", "2"]);
      try {
        const pids = await listeningPids(run, 2);
        const victim = pids[0] as number;
        process.kill(victim, "SIGKILL");
        const replaced = await lines(
          run,
          (line) => line.msg === `worker ${victim} exited (signal SIGKILL); starting another`,
        );
        expect(replaced).toHaveLength(1);
        const now = await listeningPids(run, 3);
        const fresh = now.filter((pid) => !pids.includes(pid));
        expect(fresh).toHaveLength(1);
        expect(isAlive(fresh[0] as number)).toBe(true);
        const answers = await Promise.all(Array.from({ length: 4 }, () => post(base)));
        expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
      } finally {
        run.child.kill("SIGTERM");
        expect((await run.done).code).toBe(0);
      }
    },
    TIMEOUT,
  );

  test(
    "SIGTERM drains every worker: a stream in flight completes within --grace, then the server exits 0 and no worker is left",
    async () => {
      const server = await upstream({
        tokens: ["first", " second"],
        delayMs: (index) => (index === 0 ? 0 : 1_000),
      });
      const run = cli(
        ["serve", "--port", "0", "--base-url", server.url, "--model", "m", "--workers", "2"].concat(
          ["--grace", "20"],
        ),
      );
      const base = await serving(run);
      const pids = await listeningPids(run, 2);
      const response = await post(base as string, { query: "hi", stream: true });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: first\r\n\r\n");
      run.child.kill("SIGTERM");
      let rest = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += new TextDecoder().decode(value);
      }
      expect(rest).toBe("data:  second\r\n\r\n");
      const { code, stdout } = await run.done;
      expect(code).toBe(0);
      expect(stdout).toMatch(/SIGTERM received, draining 2 workers/);
      expect(pids.filter(isAlive)).toEqual([]);
    },
    TIMEOUT,
  );

  test(
    "Ctrl-C (SIGINT to the whole process group) drains once: the workers' own SIGINT is not a second signal",
    async () => {
      const child = spawn(
        process.execPath,
        [inject("cliBundle"), "serve", "--port", "0", "--workers", "2", "--grace", "5"],
        { detached: true, stdio: ["ignore", "pipe", "pipe"] },
      );
      const run: Run = {
        child,
        stdout: [],
        stderr: () => "",
        done: new Promise((resolve) =>
          child.on("close", (code) => resolve({ code, stdout: "", stderr: "" })),
        ),
      };
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => run.stdout.push(chunk));
      child.stderr?.resume();
      const pids = await listeningPids(run, 2);
      expect(pids).toHaveLength(2);
      process.kill(-(child.pid as number), "SIGINT");
      const timer = setTimeout(() => process.kill(-(child.pid as number), "SIGKILL"), 30_000);
      const { code } = await run.done;
      clearTimeout(timer);
      const messages = logged(run).map((line) => String(line.msg));
      expect(messages.filter((msg) => msg.startsWith("SIGINT received"))).toHaveLength(1);
      expect(messages.some((msg) => msg.includes("stopping at once"))).toBe(false);
      expect(code).toBe(0);
      expect(pids.filter(isAlive)).toEqual([]);
    },
    TIMEOUT,
  );

  test(
    "a port already taken: the workers cannot listen, the primary stops them and exits 1",
    async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = taken.address() as AddressInfo;
        const run = cli(["serve", "--port", String(port), "--workers", "2"]);
        const { code, stderr } = await run.done;
        expect(code).toBe(1);
        expect(stderr).toMatch(
          /^completion-chain: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/m,
        );
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    },
    TIMEOUT,
  );

  test("a bad --workers value is a one-line usage error naming the flag (exit 2)", async () => {
    const runs = ["0", "257", "two"].map((value) =>
      cli(["serve", "--port", "0", "--workers", value]),
    );
    for (const run of runs) {
      const { code, stderr, stdout } = await run.done;
      expect(code).toBe(2);
      expect(oneLine(stderr)).toMatch(
        /^completion-chain: --workers must be an integer 1\.\.256 or "auto", got "/,
      );
      expect(stdout).toBe("");
    }
  });

  test("--workers reads auto as the number of cores, and refuses what is not an integer 1..256", () => {
    expect(workersFlag(undefined)).toBe(1);
    expect(workersFlag("4")).toBe(4);
    expect(workersFlag("256")).toBe(256);
    expect(workersFlag("auto")).toBe(Math.min(availableParallelism(), 256));
    for (const bad of ["", "1.5", "-1", "1e2", " 2", "AUTO"])
      expect(() => workersFlag(bad), bad).toThrow(/^--workers must be an integer 1\.\.256/);
  });

  test("--workers 1 is the single process of old: no cluster, the server itself logs its requests", async () => {
    const { run, base } = await serveWorkers(["--workers", "1"]);
    try {
      expect((await post(base)).status).toBe(200);
      const served = await lines(run, (line) => line.path === "/other/completion");
      expect(served[0]?.pid).toBe(run.child.pid);
      expect(logged(run).some((line) => String(line.msg).startsWith("worker "))).toBe(false);
    } finally {
      run.child.kill("SIGTERM");
      expect((await run.done).code).toBe(0);
    }
  });
});
