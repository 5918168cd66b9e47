// `completion-chain serve`'s log: on stdout, JSON unless stdout is a terminal (a child process's
// stdout is a pipe), --log-format to choose, --log-content to include the query and the answer.
import { describe, expect, test } from "vitest";
import { cli, oneLine, refusesToServe, serving } from "./helpers/cli-process.js";
import { upstream } from "./helpers/fixtures.js";

const QUERY = "zebra-quokka-query-7781";

/** Serves with `flags`, sends one streamed request with an id, stops with SIGTERM: the output. */
async function serveOnce(flags: string[]) {
  const server = await upstream({ tokens: ["pangolin-", "quetzal"] });
  const run = cli(["serve", "--port", "0", "--base-url", server.url, "--model", "m", ...flags]);
  const base = await serving(run);
  expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const response = await fetch(`${base}/other/completion`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": "cli-req-1" },
    body: JSON.stringify({ query: QUERY, stream: true }),
  });
  expect(await response.text()).toContain("quetzal");
  // The line is written when the response has ended, just after its last byte.
  while (!run.stdout.join("").includes("cli-req-1")) await new Promise((r) => setTimeout(r, 10));
  run.child.kill("SIGTERM");
  const done = await run.done;
  return { ...done, lines: done.stdout.trimEnd().split("\n") };
}

describe("completion-chain serve's log", () => {
  test.each([
    ["--log-format json", ["--log-format", "json"]],
    ["no flag, stdout a pipe", []],
  ])(
    "%s: every stdout line is JSON — the start, the request with its id, the drain — and holds no query or answer",
    async (_name, flags) => {
      const { code, lines, stdout, stderr } = await serveOnce(flags);
      expect(code).toBe(0);
      const logged = lines.map((line) => JSON.parse(line));
      expect(logged[0]).toMatchObject({
        level: "info",
        msg: expect.stringMatching(/^serving POST /),
      });
      expect(logged).toContainEqual(
        expect.objectContaining({
          msg: "request",
          requestId: "cli-req-1",
          method: "POST",
          path: "/other/completion",
          status: 200,
          tokens: 2,
          stream: true,
        }),
      );
      expect(logged.at(-1)).toMatchObject({
        signal: "SIGTERM",
        msg: expect.stringMatching(/draining/),
      });
      expect(stdout + stderr).not.toMatch(/zebra|pangolin|quetzal/);
    },
  );

  test("--log-format pretty: one human line per request and per message", async () => {
    const { code, lines } = await serveOnce(["--log-format", "pretty"]);
    expect(code).toBe(0);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^completion-chain: serving POST http:\/\/127\.0\.0\.1:\d+\/other\/completion$/,
    );
    expect(lines[1]).toMatch(/^completion-chain: playground at http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(lines[2]).toMatch(
      /^\S+Z POST \/other\/completion 200 \d+ms 2 tokens ttft=\d+ms id=cli-req-1$/,
    );
    expect(lines[3]).toMatch(/^completion-chain: SIGTERM received, draining: /);
  });

  test("--log-content: the request's line holds the query and the answer", async () => {
    const { code, lines } = await serveOnce(["--log-content"]);
    expect(code).toBe(0);
    const request = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === "request");
    expect(request).toMatchObject({ query: QUERY, answer: "pangolin-quetzal", promptName: "default" });
  });

  test("--log-format bogus is a usage error naming the flag, before anything starts", async () => {
    const { code, stderr } = await refusesToServe(["--log-format", "bogus"]);
    expect(code).toBe(2);
    expect(oneLine(stderr)).toBe(
      'completion-chain: --log-format must be "json" or "pretty", got "bogus"',
    );
  });
});
