// Every ```ts block in README.md is a complete module (its imports included) that type-checks against
// the source: tsconfig.json's `paths` map `completion-chain` and its subpaths to src/. The blocks are
// checked in memory, each as its own module, with the project's compiler options.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { beforeAll, describe, expect, test } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const README = ts.sys.readFile(join(ROOT, "README.md")) ?? "";

/** The ```ts blocks of `markdown`, with the line each starts on. */
function tsBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const fence = /^```ts\n([\s\S]*?)^```$/gm;
  for (let match = fence.exec(markdown); match !== null; match = fence.exec(markdown)) {
    const line = markdown.slice(0, match.index).split("\n").length;
    blocks.push({ line, code: match[1] ?? "" });
  }
  return blocks;
}

/** Type errors of each snippet (by file name), the snippets compiled together as separate modules. */
function typeCheck(snippets: Map<string, string>): Map<string, string[]> {
  const configPath = join(ROOT, "tsconfig.json");
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  options.noEmit = true;
  // A block without imports is still a module, so top-level await is allowed in every one.
  options.moduleDetection = ts.ModuleDetectionKind.Force;
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => snippets.has(file) || fileExists.call(host, file);
  host.readFile = (file) => snippets.get(file) ?? readFile.call(host, file);
  host.getSourceFile = (file, language, ...rest) => {
    const text = snippets.get(file);
    return text === undefined
      ? getSourceFile.call(host, file, language, ...rest)
      : ts.createSourceFile(file, text, language);
  };
  const program = ts.createProgram([...snippets.keys()], options, host);
  const errors = new Map<string, string[]>();
  for (const file of snippets.keys()) {
    const source = program.getSourceFile(file);
    const diagnostics = source === undefined ? [] : ts.getPreEmitDiagnostics(program, source);
    errors.set(
      file,
      diagnostics.map((diagnostic) => {
        const where =
          diagnostic.file && diagnostic.start !== undefined
            ? `line ${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1}: `
            : "";
        return where + ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
      }),
    );
  }
  return errors;
}

const blocks = tsBlocks(README);
// Virtual files in test/, so that node_modules and package.json's "type" resolve as for real ones.
const fileOf = (line: number) => join(ROOT, "test", `__readme-snippet-line-${line}.ts`);
// Compiled with the blocks, to show that a block that does not type-check is reported.
const BROKEN = join(ROOT, "test", "__readme-snippet-broken.ts");
const BROKEN_CODE =
  'import { completion } from "completion-chain";\nawait completion({ qury: "x" });\n';

describe("README.md's ```ts blocks", () => {
  let errors = new Map<string, string[]>();
  beforeAll(() => {
    const snippets = new Map(blocks.map(({ line, code }) => [fileOf(line), code]));
    errors = typeCheck(snippets.set(BROKEN, BROKEN_CODE));
  }, 120_000);

  test("there are blocks to check", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  test.each(blocks.map(({ line, code }) => [line, code.split("\n")[0], code] as const))(
    "the block on line %i (%s) type-checks",
    (line, _first, code) => {
      expect(code, "a block uses completion-chain, so it imports it").toMatch(/^import /m);
      expect(errors.get(fileOf(line))).toEqual([]);
    },
  );

  test("a block that does not type-check is reported", () => {
    expect(errors.get(BROKEN)?.join("\n")).toMatch(/qury/);
  });
});

describe("tsBlocks", () => {
  test("finds each ```ts block and its line, and no other fence", () => {
    const markdown = "# t\n\n```ts\nconst a = 1;\n```\n\n```sh\nls\n```\n```ts\nlet b;\n```\n";
    expect(tsBlocks(markdown)).toEqual([
      { line: 3, code: "const a = 1;\n" },
      { line: 10, code: "let b;\n" },
    ]);
  });
});
