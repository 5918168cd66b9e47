import { describe, expect, test } from "vitest";
import { parseCompletionBody } from "../src/http/validation.js";
import { BODY_FIELDS } from "./helpers/body-fields.js";
import { seeded } from "./helpers/random.js";

describe("random bodies", () => {
  const next = seeded(20240607);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const KEYS = [...BODY_FIELDS, "x"];
  const ATOMS = [
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1.0",
    "1e999",
    "NaN",
    "-Infinity",
    "0.5",
    "7",
  ];
  const STRINGS = ["", "yes", "0.3", " 12 ", "1_0", "😀", "é\\n", "\\ud83d", "inf", "Off"];

  function json(depth: number): string {
    const r = next();
    if (r < 0.3) return pick(ATOMS);
    if (r < 0.6) return `"${pick(STRINGS)}"`;
    if (r < 0.75 && depth < 4) {
      return `[${Array.from({ length: Math.floor(next() * 4) }, () => json(depth + 1)).join(",")}]`;
    }
    if (depth < 4) {
      const keys = KEYS.filter(() => next() < 0.5);
      return `{${keys.map((k) => `${pick(["", " ", "\n"])}"${k}":${json(depth + 1)}`).join(",")}}`;
    }
    return pick(ATOMS);
  }

  function mutate(text: string): string {
    const at = Math.floor(next() * (text.length + 1));
    const r = next();
    if (r < 0.3) return text.slice(0, at);
    if (r < 0.6) return text.slice(0, at) + text.slice(at + 1);
    return (
      text.slice(0, at) +
      pick(["{", "}", "[", "]", ",", ":", '"', "\\", "\t", "😀"]) +
      text.slice(at)
    );
  }

  test("2,000 random bodies never throw and always give a value or a well-formed 422", () => {
    let valid = 0;
    let rejected = 0;
    for (let i = 0; i < 2000; i++) {
      let text = json(0);
      if (next() < 0.4) text = mutate(text);
      const contentType = next() < 0.9 ? "application/json" : pick([null, "text/plain"]);
      const result = parseCompletionBody(text, contentType);
      if (result.ok) {
        valid++;
        expect(typeof result.value.query).toBe("string");
        expect(result.value.temperature).toBeGreaterThanOrEqual(0);
        expect(result.value.temperature).toBeLessThanOrEqual(1);
        continue;
      }
      rejected++;
      expect(result.status).toBe(422);
      const parsed = JSON.parse(result.body) as { detail: unknown[] };
      expect(Array.isArray(parsed.detail) && parsed.detail.length > 0).toBe(true);
      expect(result.detail.length).toBe(parsed.detail.length);
    }
    expect(valid).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });
});
