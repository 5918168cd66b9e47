import { defineConfig } from "vitest/config";

// `npm run test:nginx`: the deployment tests, which start a real nginx (test/deploy/). Not part of
// `npm test` (vitest.config.ts includes test/**/*.test.ts only); .ci/run runs them once.
export default defineConfig({
  test: {
    include: ["test/deploy/**/*.deploy.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The CLI, bundled once, as for the main suite (test/helpers/cli-process.ts spawns it).
    globalSetup: ["test/setup/cli-bundle.ts"],
  },
});
