// The module hooks of record-imports.mjs.
import { appendFileSync } from "node:fs";

let file;

export function initialize(data) {
  file = data;
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (file) appendFileSync(file, `${process.pid}\t${resolved.url}\n`);
  return resolved;
}
