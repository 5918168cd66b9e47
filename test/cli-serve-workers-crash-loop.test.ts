// `completion-chain serve --workers N` giving up on a crash loop: on its own file, because the test
// waits for seven worker startups made slow on purpose (the rest of --workers is in
// cli-serve-workers.test.ts, and files run in parallel).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { isAlive, listeningPids, logged, serveWorkers } from "./helpers/cluster-run.js";

const TIMEOUT = 60_000;

describe("serve --workers", () => {
  test(
    "workers that keep exiting as they start make the primary give up: one line on stderr, exit 1, no worker left",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "completion-chain-workers-"));
      const keyFile = join(dir, "key");
      await writeFile(keyFile, "a-key-of-sixteen-or-more\n");
      // Every worker starts 1.2 s late, as on a slow machine: longer than the quick-exit time, so
      // only "exited before it listened" can tell the primary that a replacement failing its
      // startup is a crash loop.
      const slow = join(dir, "slow-worker.cjs");
      await writeFile(
        slow,
        'if (require("node:cluster").isWorker) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1200);\n',
      );
      const { run } = await serveWorkers(["--workers", "2", "--api-key-file", keyFile], {
        NODE_OPTIONS: `--require ${slow}`,
      });
      try {
        const pids = await listeningPids(run, 2);
        // Every worker reads the key file as it starts: a replacement now fails (a usage error).
        await rm(keyFile);
        process.kill(pids[0] as number, "SIGKILL");
        // Bounded below the test's own time limit, so that a primary that never gives up fails
        // here and is killed below rather than outliving the run.
        const ended = await Promise.race([
          run.done,
          new Promise<undefined>((resolve) => setTimeout(resolve, TIMEOUT - 10_000)),
        ]);
        expect(ended, "the primary never gave up").toBeDefined();
        const { code, stderr } = ended as Awaited<typeof run.done>;
        expect(code).toBe(1);
        // 2 workers × 3 quick exits each are tolerated; the 7th in a row ends it. Each replacement
        // exits before it listens, however long its startup takes on a busy machine.
        expect(stderr).toMatch(
          /^completion-chain: workers keep exiting \(7 in a row, each before it listened or within 1 s of starting\); giving up$/m,
        );
        expect(stderr).toMatch(/--api-key-file .*: cannot read it \(no such file\)/);
        const gaveUp = logged(run).filter((line) =>
          String(line.msg).startsWith("workers keep exiting"),
        );
        expect(gaveUp).toHaveLength(1);
        expect(typeof gaveUp[0]?.worker).toBe("number");
        expect(pids.filter(isAlive)).toEqual([]);
      } finally {
        // A primary still running drains its workers on SIGTERM; killed outright, they would stay.
        run.child.kill("SIGTERM");
        await Promise.race([run.done, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        run.child.kill("SIGKILL");
        await rm(dir, { recursive: true, force: true });
      }
    },
    TIMEOUT,
  );
});
