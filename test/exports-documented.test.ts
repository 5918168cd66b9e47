// Every public export is documented: it has TSDoc, and README.md's "Reference" section lists it under
// its entry point — and lists nothing that entry point does not export.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, test } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const README = ts.sys.readFile(join(ROOT, "README.md")) ?? "";

const ENTRY_POINTS: Record<string, string> = {
  "completion-chain": "src/index.ts",
  "completion-chain/http": "src/http/index.ts",
  "completion-chain/http/node": "src/http/node/index.ts",
  "completion-chain/testing": "src/testing/index.ts",
};

const config = ts.readConfigFile(join(ROOT, "tsconfig.json"), ts.sys.readFile);
const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
const files = Object.values(ENTRY_POINTS).map((file) => join(ROOT, file));
const program = ts.createProgram(files, { ...options, noEmit: true });
const checker = program.getTypeChecker();

/** Each export of `file`, and whether the declaration it names has a TSDoc comment. */
function exportsOf(file: string): Map<string, boolean> {
  const source = program.getSourceFile(join(ROOT, file));
  const module = source && checker.getSymbolAtLocation(source);
  if (module === undefined) throw new Error(`${file} is not a module`);
  const found = new Map<string, boolean>();
  for (const symbol of checker.getExportsOfModule(module)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const documented = (target.declarations ?? []).some(
      (declaration) => ts.getJSDocCommentsAndTags(declaration).length > 0,
    );
    found.set(symbol.getName(), documented);
  }
  return found;
}

/** The "Reference" section's list: entry point → the names listed for it. */
function referenceList(markdown: string): Map<string, string[]> {
  const section = /^## Reference\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(markdown)?.[1] ?? "";
  const listed = new Map<string, string[]>();
  for (const item of section.split(/^- /m).slice(1)) {
    const spans = [...item.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? "");
    const [entry, ...names] = spans;
    if (entry === undefined) continue;
    listed.set(
      entry,
      names.filter((name) => /^[A-Za-z_$][\w$]*$/.test(name)),
    );
  }
  return listed;
}

const listed = referenceList(README);

describe.each(Object.entries(ENTRY_POINTS))("%s (%s)", (entry, file) => {
  const exported = exportsOf(file);

  test("exports something", () => {
    expect(exported.size).toBeGreaterThan(0);
  });

  test("every export has TSDoc", () => {
    const bare = [...exported].filter(([, documented]) => !documented).map(([name]) => name);
    expect(bare, `exported from ${file} without a TSDoc comment`).toEqual([]);
  });

  test("README.md's Reference lists exactly its exports", () => {
    expect(listed.has(entry), `README.md's Reference has no item for \`${entry}\``).toBe(true);
    expect([...new Set(listed.get(entry))].sort()).toEqual([...exported.keys()].sort());
  });
});

test("referenceList reads each item's entry point and the names after it", () => {
  const markdown =
    "## Reference\n\nText `x`.\n\n- `a`: `f` (see `g()`),\n  `T`.\n- `a/b`: `h`.\n\n## Next\n- `c`: `i`\n";
  expect(referenceList(markdown)).toEqual(
    new Map([
      ["a", ["f", "T"]],
      ["a/b", ["h"]],
    ]),
  );
});

/** The property names of the interface `name` exported from `file`, inherited ones included. */
function propertiesOf(file: string, name: string): string[] {
  const source = program.getSourceFile(join(ROOT, file));
  const module = source && checker.getSymbolAtLocation(source);
  const symbol = module && checker.getExportsOfModule(module).find((s) => s.getName() === name);
  if (symbol === undefined) throw new Error(`${file} exports no ${name}`);
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return checker
    .getDeclaredTypeOfSymbol(target)
    .getProperties()
    .map((property) => property.getName())
    .sort();
}

/** The code spans of `text` outside parentheses: the option names of a README sentence. */
const namesIn = (text: string) =>
  [...text.replace(/\([^()]*\)/g, "").matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? "");

describe("README.md lists the options the HTTP entry points take, and no others", () => {
  const paragraph =
    /^`createCompletionHandler` options: ([\s\S]*?)\n`serveCompletion` takes the same minus ([\s\S]*?), plus ([\s\S]*?)\. See/m.exec(
      README,
    );

  test("the paragraph is there", () => {
    expect(paragraph, "README.md no longer lists createCompletionHandler's options").not.toBeNull();
  });

  test("createCompletionHandler: CompletionHandlerOptions", () => {
    const handler = namesIn(paragraph?.[1] ?? "").sort();
    expect(handler).toEqual(propertiesOf("src/http/index.ts", "CompletionHandlerOptions"));
  });

  test("serveCompletion: ServeOptions", () => {
    const minus = new Set(namesIn(paragraph?.[2] ?? ""));
    const serve = [
      ...namesIn(paragraph?.[1] ?? "").filter((name) => !minus.has(name)),
      ...namesIn(paragraph?.[3] ?? ""),
    ].sort();
    expect(serve).toEqual(propertiesOf("src/http/node/index.ts", "ServeOptions"));
  });
});
