import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { cli } from "./helpers/cli-process.js";
import { upstream } from "./helpers/fixtures.js";
import { closedBeforeToken } from "./helpers/order.js";

describe("the completion-chain CLI", () => {
  test("with no endpoint configured it streams from the offline demo model and says so on stderr", async () => {
    const { code, stdout, stderr } = await cli(["恼羞成怒 means 'angry from shame'", "--stream"])
      .done;
    expect(code).toBe(0);
    expect(stdout).toBe("恼羞成怒 means 'angry from shame'\n");
    expect(stderr).toContain("offline demo model");
    expect(stderr).toContain("--base-url");
  });

  test("--base-url sends the query to that endpoint and prints the tokens and a newline", async () => {
    const server = await upstream({ tokens: ["Hello", " 世界"] });
    const run = cli([
      "hi",
      "--stream",
      "--base-url",
      server.url,
      "--model",
      "m",
      "--kind",
      "chat",
      "--max-tokens",
      "0",
    ]);
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toBe("Hello 世界\n");
    expect(server.requests[0]?.path).toBe("/v1/chat/completions");
    expect(server.requests[0]?.body).not.toHaveProperty("max_tokens");
  });

  test("a bad flag value exits 2 with one line naming it", async () => {
    const { code, stderr, stdout } = await cli(["hi", "--temperature", "1.5"]).done;
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toEqual([
      "completion-chain: `temperature` must be between 0 and 1, got 1.5 (invalid_options)",
    ]);
  });

  test("an upstream failure exits 1 with one clear line and no API key", async () => {
    const server = await upstream({ status: 500 });
    const { code, stderr } = await cli(["hi", "--base-url", server.url, "--model", "m"], {
      OPENAI_API_KEY: "sk-cli-SECRET-KEY-0000",
    }).done;
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain("HTTP 500");
    expect(stderr).not.toContain("sk-cli-SECRET-KEY-0000");
  });

  test("Ctrl-C aborts the upstream request before its next token and exits 130", async () => {
    const server = await upstream({
      tokens: ["first", " never"],
      delayMs: (index) => (index === 0 ? 0 : 5_000),
    });
    const run = cli(["hi", "--stream", "--base-url", server.url, "--model", "m"]);
    while (!run.stdout.join("").includes("first"))
      await new Promise((resolve) => setTimeout(resolve, 10));
    run.child.kill("SIGINT");
    expect(await closedBeforeToken(server, 2)).toBe("closed");
    const { code } = await run.done;
    expect(code).toBe(130);
    expect(server.tokensSent()).toBe(1);
  });

  test("when stdout is closed early (… | head -c 5) the run stops, cancels its upstream request and exits 0 without a word on stderr", async () => {
    const words = Array.from({ length: 200 }, (_, index) => ` w${index}`);
    const server = await upstream({ tokens: words, delayMs: 20 });
    const run = cli(["hi", "--stream", "--base-url", server.url, "--model", "m"]);
    while (run.stdout.join("").length < 5) await new Promise((resolve) => setTimeout(resolve, 10));
    // What `head -c 5` does once it has its bytes: close the read end of the pipe.
    run.child.stdout?.destroy();
    const { code, stderr } = await run.done;
    await server.waitForConnections(0);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(server.tokensSent()).toBeLessThan(words.length);
  });

  test("--config reads a JSON model registry, and a bad one exits 2 naming the field", async () => {
    const server = await upstream({ tokens: ["from", " config"] });
    const dir = await mkdtemp(join(tmpdir(), "completion-chain-cli-"));
    try {
      const good = join(dir, "models.json");
      await writeFile(
        good,
        JSON.stringify({ models: { local: { kind: "chat", baseURL: server.url, apiKey: "k" } } }),
      );
      const ok = await cli(["hi", "--config", good]).done;
      expect(ok).toMatchObject({ code: 0, stdout: "from config\n" });
      const bad = join(dir, "bad.json");
      await writeFile(bad, JSON.stringify({ models: { local: { kind: "telepathy" } } }));
      const failed = await cli(["hi", "--config", bad]).done;
      expect(failed.code).toBe(2);
      expect(failed.stderr).toContain("models.local.kind");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
