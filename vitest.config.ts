import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Most tests wait on sockets, timers and child processes, not on the CPU: on a 2-core machine
    // four workers take the suite from ~200 s to ~110 s (one worker is vitest's default there).
    maxWorkers: 4,
    // The CLI, bundled once for the tests that spawn it (test/helpers/cli-process.ts).
    globalSetup: ["test/setup/cli-bundle.ts"],
  },
});
