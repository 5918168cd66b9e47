import { describe, expect, test } from "vitest";
import { registry, upstream } from "./helpers/fixtures.js";
import { endpoint, rawRequest } from "./helpers/http.js";
import { BODY_FIELDS } from "./helpers/body-fields.js";
import { seeded } from "./helpers/random.js";

const KEYS = [...BODY_FIELDS, "extra"];

function value(next: () => number, depth = 0): unknown {
  const pick = Math.floor(next() * (depth > 2 ? 7 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return next() < 0.5;
    case 2:
      return Math.floor(next() * 4000) - 2000;
    case 3:
      return next() * 4 - 2;
    case 4:
      return ["", "x", "0", "yes", "1.5", "default", "../x", "{input}", "🌍", " 1_0 "][
        Math.floor(next() * 10)
      ];
    case 5:
      return "q".repeat(Math.floor(next() * 50));
    case 6:
      return Number.MAX_SAFE_INTEGER * (next() < 0.5 ? 1 : -1);
    case 7:
      return Array.from({ length: Math.floor(next() * 3) }, () => value(next, depth + 1));
    default:
      return Object.fromEntries(
        KEYS.filter(() => next() < 0.3).map((key) => [key, value(next, depth + 1)]),
      );
  }
}

describe("POST /other/completion under fuzzed bodies", () => {
  test("random values, truncated JSON, huge strings and wrong content types never get a 5xx", async () => {
    const server = await upstream({ tokens: ["ok"] });
    const api = await endpoint({ models: registry(server), maxBodyBytes: 64 * 1024 });
    const next = seeded(20261125);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 400; i += 1) {
      const body: Record<string, unknown> =
        next() < 0.35
          ? // plausible: every value of an accepted kind, so the accepted path is exercised too
            {
              query: ["q", "🌍 {input}", "", "x".repeat(Math.floor(next() * 300))][
                Math.floor(next() * 4)
              ],
              ...(next() < 0.5 ? { stream: next() < 0.5 } : {}),
              ...(next() < 0.3 ? { echo: ["yes", 0, true][Math.floor(next() * 3)] } : {}),
              ...(next() < 0.3 ? { temperature: Math.round(next() * 100) / 100 } : {}),
              ...(next() < 0.3
                ? { max_tokens: [null, -1, 0, 16, "32"][Math.floor(next() * 5)] }
                : {}),
              ...(next() < 0.2 ? { unknown_key: value(next) } : {}),
            }
          : Object.fromEntries(KEYS.filter(() => next() < 0.6).map((key) => [key, value(next)]));
      if (next() < 0.5) body.query = typeof body.query === "string" ? body.query : "q";
      let text = JSON.stringify(next() < 0.05 ? value(next) : body) ?? "";
      if (next() < 0.1) text = text.slice(0, Math.floor(next() * text.length));
      if (next() < 0.03) text = `{"query":"${"x".repeat(70_000)}"}`;
      const contentType =
        next() < 0.7
          ? "application/json"
          : ([
              "text/plain",
              "application/x-www-form-urlencoded",
              "application/merge-patch+json",
              "",
            ][Math.floor(next() * 4)] as string);
      const headers: Record<string, string> = contentType ? { "content-type": contentType } : {};
      const response = await rawRequest(api, "POST", "/other/completion", text, headers);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(response.status, `body ${text.slice(0, 200)} (${contentType})`).toBeLessThan(500);
      if (response.status === 422)
        expect(JSON.parse(response.body).detail.length).toBeGreaterThan(0);
    }
    // The run must have exercised both the accepted and the rejected paths.
    expect(statuses.get(200)).toBeGreaterThan(20);
    expect(statuses.get(422)).toBeGreaterThan(20);
    const bytes = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    expect(
      (
        await rawRequest(api, "POST", "/other/completion", bytes, {
          "content-type": "application/json",
        })
      ).status,
    ).toBe(400);
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
  });
});
