// What `completion-chain` and `completion-chain/http` load at import time, read from the source:
// every value import reachable from the entry (type-only imports and lazy `import()` excluded).
// Edge runtimes have no `node:*` and no `@hono/node-server`; the packed build is checked the same
// way by .ci/smoke/edge.mjs.
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The module specifiers `file` imports for their values at load time. */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const found: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.isTypeOnly) continue;
      const bindings = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        clause.name === undefined &&
        bindings !== undefined &&
        ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 &&
        bindings.elements.every((element) => element.isTypeOnly);
      if (!onlyTypes) found.push((statement.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
      if (statement.isTypeOnly) continue;
      found.push((statement.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return found;
}

/** Every bare or `node:` specifier loaded at import time from `entry`, with the file importing it. */
function externalsLoadedBy(entry: string): Map<string, string> {
  const externals = new Map<string, string>();
  const seen = new Set<string>();
  const queue = [join(root, entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of valueImports(file)) {
      if (specifier.startsWith(".")) {
        queue.push(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
      } else if (!externals.has(specifier)) {
        externals.set(specifier, relative(root, file));
      }
    }
  }
  return externals;
}

describe.each(["src/index.ts", "src/http/index.ts"])("%s at import time", (entry) => {
  const externals = externalsLoadedBy(entry);

  it("loads no Node built-in", () => {
    const builtIns = [...externals].filter(([specifier]) => specifier.startsWith("node:"));
    expect(builtIns).toEqual([]);
  });

  it("loads neither hono nor @hono/node-server", () => {
    const hono = [...externals].filter(([specifier]) => /^(@hono\/|hono($|\/))/.test(specifier));
    expect(hono).toEqual([]);
  });

  it("loads LangChain (the walk reaches the model code)", () => {
    expect([...externals.keys()].some((specifier) => specifier.startsWith("@langchain/"))).toBe(
      true,
    );
  });
});

describe("src/http/node/index.ts", () => {
  it("is where the Node server and its imports live", () => {
    const externals = externalsLoadedBy("src/http/node/index.ts");
    expect(externals.has("@hono/node-server")).toBe(true);
  });
});
