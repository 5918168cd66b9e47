import { CliError, oneLine } from "./cli-error.js";
import { complete } from "./complete.js";
import { serve } from "./serve.js";

// A closed stderr (`serve 2>&1 | head`) is no reason to crash a run or a server mid-request, and
// there is nowhere left to say so.
process.stderr.on("error", () => {});

const argv = process.argv.slice(2);
try {
  if (argv[0] === "serve") await serve(argv.slice(1));
  else await complete(argv);
} catch (error) {
  // Every failure ends here as one line: a usage error (2), a run-time failure (1) or an interrupt
  // (130); nothing unexpected escapes as a stack trace.
  const exitCode = error instanceof CliError ? error.exitCode : 1;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`completion-chain: ${oneLine(message)}\n`);
  process.exit(exitCode);
}
