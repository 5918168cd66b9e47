import { describe, expect, test } from "vitest";
import { isCompletionError } from "../src/index.js";
import { PATHS, thrownBy } from "./helpers/entry-points.js";
import { hostileUpstream } from "./helpers/hostile-upstream.js";
import { SOURCES, targetFor } from "./helpers/key-sources.js";
import { KEYS, leaks, printedForms, safeString } from "./helpers/secret-leaks.js";

describe("the API key appears in no message, stack, cause chain, inspect output or JSON", () => {
  test("a baseURL with user:password@ is refused, and no error prints the password", async () => {
    const hostile = await hostileUpstream("status401");
    const password = "hunter2-9d8c7b6a5f";
    const baseURL = hostile.url.replace("http://", `http://deploy:${password}@`);
    // Provider strings: see the next test (LangChain would retry the refusal for a minute).
    for (const source of SOURCES.filter((source) => source !== "provider string")) {
      for (const path of PATHS) {
        const target = await targetFor(source, KEYS[1], baseURL, true);
        const error = await thrownBy(path, target, {});
        const where = `${source}, ${path}`;
        expect.soft(leaks(printedForms(error), password), where).toEqual([]);
        expect.soft(leaks(printedForms(error), KEYS[1]), where).toEqual([]);
        expect.soft(isCompletionError(error), `${where}: ${safeString(error)}`).toBe(true);
        // A model the library builds (not one given to the chain) is refused before any request.
        if ((source === "registry" || source === "environment") && path.startsWith("completion")) {
          expect((error as { code?: string }).code, where).toBe("invalid_options");
        }
      }
    }
    expect(hostile.authorizations).toEqual([]);
  });

  test("a provider:model string with user:password@ in OPENAI_BASE_URL is refused up front, without the password", async () => {
    const hostile = await hostileUpstream("status401");
    const password = "hunter2-9d8c7b6a5f";
    const baseURL = hostile.url.replace("http://", `http://deploy:${password}@`);
    const target = await targetFor("provider string", KEYS[2], baseURL, true);
    for (const path of ["completion({ stream: true })", "completion()"] as const) {
      // The timeout only bounds the test: a refusal up front needs no time at all.
      const error = await thrownBy(path, target, { timeout: 2_000 });
      expect.soft(leaks(printedForms(error), password), path).toEqual([]);
      expect.soft(leaks(printedForms(error), KEYS[2]), path).toEqual([]);
      expect((error as { code?: string }).code, `${path}: ${safeString(error)}`).toBe(
        "invalid_options",
      );
    }
    expect(hostile.authorizations).toEqual([]);
  });
});
