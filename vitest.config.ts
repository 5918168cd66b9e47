import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Most tests wait on sockets, timers and child processes, not on the CPU: on a 2-core machine
    // four workers take the suite from ~200 s to ~110 s (one worker is vitest's default there).
    maxWorkers: 4,
    // Each worker loads LangChain, the openai SDK and src/ once and runs its files one after another
    // in that module graph, instead of loading them again for every file (~1 s of CPU a file, a
    // quarter of the suite's). Test files therefore restore what they change (spies, timers,
    // process.env) and do not count on a fresh module state.
    isolate: false,
    // The CLI, bundled once for the tests that spawn it (test/helpers/cli-process.ts).
    globalSetup: ["test/setup/cli-bundle.ts"],
  },
});
