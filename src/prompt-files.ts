/**
 * The file-system side of the prompt registry, loaded by `prompts.ts` on its first lookup so that
 * importing the library touches no file system (and needs no `node:fs`).
 *
 * @packageDocumentation
 */

import { existsSync, statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** What the prompt registry needs from the file system. */
export interface PromptFiles {
  /** `<package>/prompts/`, the bundled templates. */
  bundledDir(): string;
  join(...parts: string[]): string;
  isDirectory(path: string): boolean;
  /** A file's stamp, or `undefined` when `path` is not a file. */
  statFile(path: string): { mtimeMs: number; size: number } | undefined;
  readText(path: string): Promise<string>;
  /** The entries of a directory; none when it cannot be read. */
  list(dir: string): Promise<string[]>;
}

let bundled: string | undefined;

/**
 * Where the package's own templates live: `<package>/prompts/`. The build may put this module in
 * `dist/` or a folder below it, so the folder is one or two levels up.
 */
function bundledDir(): string {
  bundled ??=
    ["../prompts/", "../../prompts/"]
      .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
      .find((dir) => existsSync(join(dir, "completion"))) ??
    fileURLToPath(new URL("../prompts/", import.meta.url));
  return bundled;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    return false;
  }
}

/**
 * Synchronous on purpose: a lookup runs on every request, and an async `stat` is a round trip
 * through libuv's thread pool that adds to the time to first token (`npm run bench` measures it),
 * while `statSync` of a cached inode does not.
 */
function statFile(path: string): { mtimeMs: number; size: number } | undefined {
  try {
    const info = statSync(path, { throwIfNoEntry: false });
    return info?.isFile() ? info : undefined;
  } catch {
    return undefined;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** The prompt registry's file system: Node's. */
export const promptFiles: PromptFiles = {
  bundledDir,
  join,
  isDirectory,
  statFile,
  readText: (path) => readFile(path, "utf8"),
  list,
};
