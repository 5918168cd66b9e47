import { readFile } from "node:fs/promises";
import { CliError } from "./cli-error.js";

/**
 * The package's version, read from its package.json: one folder up from `dist/cli.js`, two from
 * `src/cli/index.ts` (`npm start`), so the same code serves the packed tarball and a clone.
 *
 * @throws CliError (exit 1) when neither holds completion-chain's package.json
 * @example
 * ```ts
 * process.stdout.write(`${await packageVersion()}\n`); // 0.1.0
 * ```
 */
export async function packageVersion(): Promise<string> {
  for (const relative of ["../package.json", "../../package.json"]) {
    let manifest: { name?: unknown; version?: unknown };
    try {
      manifest = JSON.parse(await readFile(new URL(relative, import.meta.url), "utf8"));
    } catch {
      continue;
    }
    if (manifest.name === "completion-chain" && typeof manifest.version === "string")
      return manifest.version;
  }
  throw new CliError("cannot find the package.json of completion-chain to read its version", 1);
}
