import { describe, expect, test } from "vitest";
import { isCompletionError } from "../src/index.js";
import { PATHS, thrownBy } from "./helpers/entry-points.js";
import { hostileUpstream } from "./helpers/hostile-upstream.js";
import { SOURCES, targetFor } from "./helpers/key-sources.js";
import { leaks, printedForms, safeString } from "./helpers/secret-leaks.js";

describe("the API key appears in no message, stack, cause chain, inspect output or JSON", () => {
  test("a key holding a newline (invalid in a header) is quoted by fetch's header error but by none of ours", async () => {
    const key = "local-proxy-key-7f3a\n9c2e51";
    const hostile = await hostileUpstream("status401");
    for (const source of SOURCES) {
      for (const path of PATHS) {
        const target = await targetFor(source, key, hostile.url, source !== "registry");
        const error = await thrownBy(path, target, {});
        const where = `${source}, ${path}`;
        expect.soft(leaks(printedForms(error), key), where).toEqual([]);
        expect.soft(isCompletionError(error), `${where}: ${safeString(error)}`).toBe(true);
      }
    }
    // fetch refused the header: the key never left the process.
    expect(hostile.authorizations).toEqual([]);
  });

  test("a key read from a file with its trailing newline is redacted in the form the endpoint received", async () => {
    // fetch strips the newline from the header value, so the endpoint sees (and echoes) the key
    // without it: redacting only the exact configured string would miss it.
    const key = "litellm-master-4b9e1d7c3a2f\n";
    const hostile = await hostileUpstream("status401");
    for (const source of SOURCES) {
      for (const path of PATHS) {
        const target = await targetFor(source, key, hostile.url, true);
        const error = await thrownBy(path, target, {});
        const where = `${source}, ${path}`;
        expect((error as { code?: string }).code, where).toBe("upstream_error");
        expect.soft(leaks(printedForms(error), key), where).toEqual([]);
      }
    }
    expect(hostile.authorizations).toContain("Bearer litellm-master-4b9e1d7c3a2f");
  });
});
