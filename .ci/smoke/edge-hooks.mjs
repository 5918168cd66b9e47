// Module hooks for edge.mjs: fail any import of a Node built-in or of @hono/node-server made by the
// package's own files, the way a bundler for an edge runtime would.
import { isBuiltin } from "node:module";

export async function resolve(specifier, context, next) {
  const fromPackage = context.parentURL?.includes("/node_modules/completion-chain/dist/");
  if (fromPackage && (isBuiltin(specifier) || specifier.startsWith("@hono/node-server"))) {
    throw new Error(`completion-chain imported ${specifier} from ${context.parentURL}`);
  }
  return next(specifier, context);
}
