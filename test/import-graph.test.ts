// The import graph of src/, read from the source. What `completion-chain` and
// `completion-chain/http` load at import time — every value import reachable from the entry
// (type-only imports and lazy `import()` excluded): edge runtimes have no `node:*` and no
// `@hono/node-server` (the packed build is checked the same way by .ci/smoke/edge.mjs). And no
// file imports, even for types only, a file that imports it back.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The module specifiers `file` imports: for their values at load time, or (`all`) any. */
function imports(file: string, all = false): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const found: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.isTypeOnly && !all) continue;
      const bindings = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        clause.name === undefined &&
        bindings !== undefined &&
        ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 &&
        bindings.elements.every((element) => element.isTypeOnly);
      if (!onlyTypes || all) found.push((statement.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
      if (statement.isTypeOnly && !all) continue;
      found.push((statement.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return found;
}

/** The source file a relative specifier of `from` names. */
function local(from: string, specifier: string): string {
  return resolve(dirname(from), specifier.replace(/\.js$/, ".ts"));
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
    for (const specifier of imports(file)) {
      if (specifier.startsWith(".")) {
        queue.push(local(file, specifier));
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

  it("loads no prom-client (it requires Node built-ins; the metrics live in http/node)", () => {
    expect(externals.has("prom-client")).toBe(false);
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
    expect(externals.has("prom-client")).toBe(true);
  });
});

describe("src/", () => {
  it("has no import cycle", () => {
    const files = readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" })
      .filter((name) => name.endsWith(".ts"))
      .map((name) => join(root, "src", name));
    const edges = new Map(
      files.map((file) => [
        file,
        imports(file, true)
          .filter((specifier) => specifier.startsWith("."))
          .map((specifier) => local(file, specifier)),
      ]),
    );
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        const loop = path.slice(path.indexOf(file)).concat(file);
        cycles.push(loop.map((each) => relative(root, each)).join(" → "));
        return;
      }
      state.set(file, "open");
      for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(files.length).toBeGreaterThan(40);
    expect(cycles).toEqual([]);
  });
});
