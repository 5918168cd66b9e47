/**
 * Which machine and which code a run measured: figures are only comparable between runs of the
 * same code on the same machine, so every report and `results.json` say both.
 *
 * @packageDocumentation
 */

import { execFileSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";

/** `results.json`'s `machine`. */
export interface Machine {
  node: string;
  cpus: number;
  cpuModel: string;
  platform: string;
  totalMemoryMb: number;
  date: string;
  code: string;
  /** CPU of one idle timer wake-up, µs: the floor under paced mode's CPU per token. */
  wakeCostUs: number;
}

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** The commit measured, and whether src/ differed from it: results are only comparable per code. */
export function codeVersion(): string {
  const git = (...command: string[]) =>
    execFileSync("git", command, { cwd: REPO, encoding: "utf8", stdio: "pipe" }).trim();
  try {
    const dirty = git("status", "--porcelain", "--", "src") !== "";
    return `${git("rev-parse", "--short", "HEAD")}${dirty ? " + uncommitted changes in src/" : ""}`;
  } catch {
    return "unknown (not a git checkout)";
  }
}

/** This machine and code now, with the wake-up cost measured on it. */
export function describeMachine(wakeCostUs: number): Machine {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown CPU",
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
    date: new Date().toISOString(),
    code: codeVersion(),
    wakeCostUs,
  };
}

/** The same in one line, for the soak report. */
export function machineLine(): string {
  const cpuModel = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  return `Node ${process.version}, ${os.cpus().length} × ${cpuModel}, ${os.platform()} ${os.release()}; code ${codeVersion()}; ${new Date().toISOString()}`;
}
