/**
 * Vitest global setup: bundles the CLI once (tsup, as `npm run build` does for dist/cli.js) into
 * .tmp/cli-test/, so that the tests which spawn it start a plain Node process instead of compiling
 * src/ through tsx at every spawn (~0.6 s a start instead of ~1.5 s; the CLI tests spawn it about
 * fifty times). The bundle sits two folders below the package root, as dist/cli.js sits one: the
 * CLI finds prompts/ and package.json from either depth.
 */
import { fileURLToPath } from "node:url";
import { build } from "tsup";
import type { TestProject } from "vitest/node";

const OUT = fileURLToPath(new URL("../../.tmp/cli-test/", import.meta.url));

export default async function setup(project: TestProject): Promise<void> {
  await build({
    config: false,
    entry: { cli: fileURLToPath(new URL("../../src/cli/index.ts", import.meta.url)) },
    outDir: OUT,
    format: ["esm"],
    target: "node20",
    removeNodeProtocol: false,
    silent: true,
  });
  project.provide("cliBundle", `${OUT}cli.js`);
}

declare module "vitest" {
  export interface ProvidedContext {
    cliBundle: string;
  }
}
