import { describe, expect, test } from "vitest";
import { suggest } from "../src/suggest.js";

const OPTIONS = ["query", "stream", "echo", "model", "temperature", "maxTokens", "promptName"];

describe("suggest", () => {
  test("the same name in another case or separator style is always suggested, however far its spelling", () => {
    expect(suggest("max_tokens", OPTIONS)).toBe("maxTokens");
    expect(suggest("prompt_name", OPTIONS)).toBe("promptName");
    expect(suggest("MAX-TOKENS", OPTIONS)).toBe("maxTokens");
    expect(suggest("maxTokens", ["max-tokens", "model"])).toBe("max-tokens");
  });

  test("a misspelling within 2 edits is suggested, a swap of two neighbours counting as one", () => {
    expect(suggest("temprature", OPTIONS)).toBe("temperature");
    expect(suggest("stram", OPTIONS)).toBe("stream");
    expect(suggest("qeury", OPTIONS)).toBe("query");
    expect(suggest("maxToken", OPTIONS)).toBe("maxTokens");
    expect(suggest("mdoel", OPTIONS)).toBe("model");
  });

  test("the nearest of several is chosen, and nothing when none is close", () => {
    expect(suggest("prompts", ["prompt", "promptsDir"])).toBe("prompt");
    expect(suggest("colour", OPTIONS)).toBeUndefined();
    expect(suggest("x", OPTIONS)).toBeUndefined();
    expect(suggest("ab", ["echo"])).toBeUndefined();
    expect(suggest("temperatureInCelsius", OPTIONS)).toBeUndefined();
    expect(suggest("a".repeat(10_000), OPTIONS)).toBeUndefined();
  });

  test("a long name may be a third of its length off, a short one only 1", () => {
    // 15 characters: 5 edits allowed.
    expect(suggest("promptsDirector", ["promptsDir"])).toBe("promptsDir");
    expect(suggest("promptsDirectory", ["promptsDir"])).toBeUndefined();
    expect(suggest("ech", ["echo"])).toBe("echo");
    expect(suggest("ec", ["echo"])).toBeUndefined();
  });

  test("a name is never suggested for itself", () => {
    expect(suggest("model", ["model"])).toBeUndefined();
  });
});
