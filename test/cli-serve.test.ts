import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { cli, serving } from "./helpers/cli-process.js";
import { upstream } from "./helpers/fixtures.js";

describe("the completion-chain CLI", () => {
  test("serve answers POST /other/completion, logs one line per request, and on SIGTERM drains: a stream still running after --grace ends with a shutting_down event", async () => {
    const server = await upstream({
      tokens: ["first", " second"],
      delayMs: (index) => (index === 0 ? 0 : 5_000),
    });
    const run = cli([
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--cors",
      "http://app.test",
      "--base-url",
      server.url,
      "--model",
      "m",
      "--grace",
      "0.3",
    ]);
    const base = await serving(run);
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${base}/health`, { headers: { origin: "http://app.test" } });
    expect(health.status).toBe(200);
    expect(health.headers.get("access-control-allow-origin")).toBe("http://app.test");
    const response = await fetch(`${base}/other/completion`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "hi", stream: true }),
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: first\r\n\r\n");
    run.child.kill("SIGTERM");
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toContain("event: error");
    expect(rest).toContain('"code":"shutting_down"');
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    await server.waitForConnections(0);
    expect(server.tokensSent()).toBe(1);
    // The log is on stdout, JSON when stdout is not a terminal (test/cli-serve-logs.test.ts).
    const logged = stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(logged).toContainEqual(
      expect.objectContaining({ method: "GET", path: "/health", status: 200, tokens: 0 }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({ path: "/other/completion", tokens: 1, error: "shutting_down" }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({
        msg: expect.stringMatching(/^SIGTERM received, draining: .*--grace/),
      }),
    );
  });

  test("serve --prompt is the template for requests that name none", async () => {
    const dir = await mkdtemp(join(tmpdir(), "completion-chain-cli-"));
    const server = await upstream();
    const run = cli(
      ["serve", "--port", "0", "--base-url", server.url, "--model", "m"].concat([
        "--prompts-dir",
        dir,
        "--prompt",
        "qa",
      ]),
    );
    try {
      await mkdir(join(dir, "completion"));
      await writeFile(join(dir, "completion", "qa.txt"), "Q: {input} A:");
      const base = await serving(run);
      const answer = async (body: object) => {
        const response = await fetch(`${base}/other/completion`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: "hi", ...body }),
        });
        return response.text();
      };
      expect(await answer({})).toBe("data: Q: hi A:\r\n\r\n");
      expect(await answer({ prompt_name: "default" })).toBe("data: hi\r\n\r\n");
    } finally {
      run.child.kill("SIGTERM");
      await run.done;
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("serve lists the offline demo model on /models and the bundled templates on /prompts; --no-playground leaves GET / a 404", async () => {
    const run = cli(["serve", "--port", "0", "--no-playground"]);
    try {
      const base = await serving(run);
      expect(await (await fetch(`${base}/models`)).json()).toEqual({
        default: "offline-demo",
        models: [{ name: "offline-demo", kind: "completion" }],
      });
      expect(await (await fetch(`${base}/prompts`)).json()).toEqual({
        default: "default",
        prompts: ["default"],
      });
      expect((await fetch(`${base}/`)).status).toBe(404);
      expect(run.stderr()).not.toContain("playground at");
    } finally {
      run.child.kill("SIGTERM");
      await run.done;
    }
  });
});
