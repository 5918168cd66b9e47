import { CliError, oneLine } from "./cli-error.js";

// A closed stderr (`serve 2>&1 | head`) is no reason to crash a run or a server mid-request, and
// there is nowhere left to say so.
process.stderr.on("error", () => {});

const argv = process.argv.slice(2);
try {
  // Each command loads what it needs, when it needs it (see complete.ts).
  if (argv[0] === "serve") await (await import("./serve.js")).serve(argv.slice(1));
  else await (await import("./complete.js")).complete(argv);
} catch (error) {
  // Every failure ends here as one line: a usage error (2), a run-time failure (1) or an interrupt
  // (130); nothing unexpected escapes as a stack trace.
  const exitCode = error instanceof CliError ? error.exitCode : 1;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`completion-chain: ${oneLine(message)}\n`);
  process.exit(exitCode);
}
