import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: {
      index: "src/index.ts",
      "testing/index": "src/testing/index.ts",
      "http/index": "src/http/index.ts",
      "http/node/index": "src/http/node/index.ts",
    },
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    // `import.meta.url` locates the bundled prompts/ in the CommonJS build too.
    shims: true,
    target: "node20",
    // One copy of the core for every entry point: one model cache, one prompt cache, one
    // CompletionError class (`instanceof` holds across `completion-chain` and its subpaths).
    // tsup splits CommonJS too (marked experimental there); the packed-tarball smoke checks it.
    splitting: true,
    // Keep `node:` specifiers as written: runtimes other than Node (Deno, workers with Node
    // compatibility) resolve built-ins by that prefix only.
    removeNodeProtocol: false,
  },
  {
    entry: { cli: "src/cli/index.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    removeNodeProtocol: false,
    banner: { js: "#!/usr/bin/env node" },
  },
]);
