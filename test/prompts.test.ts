import { mkdtemp, rm, utimes, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  completion,
  isCompletionError,
  listPromptTemplates,
  loadPromptTemplate,
} from "../src/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "completion-chain-prompts-"));
  await mkdir(join(dir, "completion"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isCompletionError(error) ? error.code : `not a CompletionError: ${String(error)}`;
  }
  return undefined;
}

describe("prompt registry", () => {
  test("the bundled default template is {input}", async () => {
    const template = await loadPromptTemplate("default");
    expect(await template.format({ input: "恼羞成怒" })).toBe("恼羞成怒");
  });

  test("a user directory overlays the bundled one and both names are listed", async () => {
    await writeFile(join(dir, "completion", "default.txt"), "Q: {input}\nA:");
    await writeFile(join(dir, "completion", "poem.mustache"), "Write a poem about {{input}}");
    const template = await loadPromptTemplate("default", { promptsDir: dir });
    expect(await template.format({ input: "x" })).toBe("Q: x\nA:");
    const poem = await loadPromptTemplate("poem", { promptsDir: dir });
    expect(await poem.format({ input: "<sea & sky>" })).toBe("Write a poem about <sea & sky>");
    expect(await listPromptTemplates({ promptsDir: dir })).toEqual(["default", "poem"]);
  });

  test("an edited template is picked up within a second, without a restart", async () => {
    const file = join(dir, "completion", "edit.txt");
    const format = async () =>
      (await loadPromptTemplate("edit", { promptsDir: dir })).format({ input: "x" });
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      await writeFile(file, "one {input}");
      expect(await format()).toBe("one x");
      await writeFile(file, "two two {input}");
      const later = new Date(Date.now() + 5_000);
      await utimes(file, later, later);
      // Within the second, the answer of the last look at the files is reused: no stat per request.
      vi.setSystemTime(Date.now() + 900);
      expect(await format()).toBe("one x");
      vi.setSystemTime(Date.now() + 200);
      expect(await format()).toBe("two two x");
    } finally {
      vi.useRealTimers();
    }
  });

  test("a template added to the overlay shadows the bundled one within a second", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const format = async () =>
        (await loadPromptTemplate("default", { promptsDir: dir })).format({ input: "x" });
      expect(await format()).toBe("x");
      await writeFile(join(dir, "completion", "default.txt"), "Q: {input}");
      vi.setSystemTime(Date.now() + 1_000);
      expect(await format()).toBe("Q: x");
    } finally {
      vi.useRealTimers();
    }
  });

  test.each(["../x", "a/b", "", "..", "a b", "default.txt"])(
    "the name %j is rejected as invalid_options without reading a file",
    async (name) => {
      expect(await codeOf(loadPromptTemplate(name))).toBe("invalid_options");
    },
  );

  test("an unknown name fails with unknown_prompt and lists the available names", async () => {
    await writeFile(join(dir, "completion", "mine.txt"), "{input}");
    await expect(loadPromptTemplate("nope", { promptsDir: dir })).rejects.toThrow(
      /available: default, mine/,
    );
    expect(await codeOf(loadPromptTemplate("nope"))).toBe("unknown_prompt");
  });

  test("a template that does not parse or needs another variable fails with invalid_prompt", async () => {
    await writeFile(join(dir, "completion", "broken.txt"), "Q: {input");
    await writeFile(join(dir, "completion", "extra.txt"), "{context} {input}");
    expect(await codeOf(loadPromptTemplate("broken", { promptsDir: dir }))).toBe("invalid_prompt");
    expect(await codeOf(loadPromptTemplate("extra", { promptsDir: dir }))).toBe("invalid_prompt");
  });

  test("an unknown prompt name through completion() rejects instead of hanging", async () => {
    const model = new FakeListChatModel({ responses: ["never"] });
    expect(await codeOf(completion({ query: "x", model, promptName: "missing" }))).toBe(
      "unknown_prompt",
    );
    const iterate = async () => {
      for await (const _ of completion({
        query: "x",
        model,
        promptName: "missing",
        stream: true,
      })) {
        // never reached
      }
    };
    expect(await codeOf(iterate())).toBe("unknown_prompt");
  });

  test.each(["{input}", "{{x}}", "}", "{", "{{input}}"])(
    "the query %j is inserted literally, never re-parsed as a template",
    async (query) => {
      await writeFile(join(dir, "completion", "wrap.txt"), "<{input}>");
      await writeFile(join(dir, "completion", "wrapm.mustache"), "<{{input}}>");
      const model = new FakeListChatModel({ responses: ["ok"] });
      const echoed = await completion({
        query,
        model,
        promptsDir: dir,
        promptName: "wrap",
        echo: true,
      });
      expect(echoed).toBe(`<${query}>ok`);
      const echoedMustache = await completion({
        query,
        model,
        promptsDir: dir,
        promptName: "wrapm",
        echo: true,
      });
      expect(echoedMustache).toBe(`<${query}>ok`);
    },
  );
});
