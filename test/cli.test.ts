import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { upstream } from "./helpers/fixtures.js";

const CLI = fileURLToPath(new URL("../src/cli/index.ts", import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: string[];
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function cli(args: string[], env: Record<string, string | undefined> = {}): Run {
  const clean: Record<string, string | undefined> = {
    ...process.env,
    OPENAI_BASE_URL: undefined,
    OPENAI_API_KEY: undefined,
    OPENAI_MODEL: undefined,
    ...env,
  };
  for (const key of Object.keys(clean)) if (clean[key] === undefined) delete clean[key];
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    env: clean,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => stdout.push(chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (code) => resolve({ code, stdout: stdout.join(""), stderr }));
  });
  return { child, stdout, done };
}

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

  test("Ctrl-C aborts the upstream request at once and exits 130", async () => {
    const server = await upstream({
      tokens: ["first", " never"],
      delayMs: (index) => (index === 0 ? 0 : 5_000),
    });
    const run = cli(["hi", "--stream", "--base-url", server.url, "--model", "m"]);
    while (!run.stdout.join("").includes("first"))
      await new Promise((resolve) => setTimeout(resolve, 10));
    const start = performance.now();
    run.child.kill("SIGINT");
    await server.waitForConnections(0);
    expect(performance.now() - start).toBeLessThan(1_000);
    const { code } = await run.done;
    expect(code).toBe(130);
    expect(server.tokensSent()).toBe(1);
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

  test("serve answers POST /other/completion, logs one line per request, and stops cleanly on SIGTERM", async () => {
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
    ]);
    let stderr = "";
    run.child.stderr?.on("data", (chunk: string) => {
      stderr += chunk;
    });
    while (!/serving POST (\S+)\/other\/completion/.test(stderr))
      await new Promise((resolve) => setTimeout(resolve, 10));
    const base = (/serving POST (\S+)\/other\/completion/.exec(stderr) as RegExpExecArray)[1];
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
    expect(rest).toContain('"code":"aborted"');
    const { code } = await run.done;
    expect(code).toBe(0);
    await server.waitForConnections(0);
    expect(stderr).toMatch(/GET \/health 200 \d+ms 0 tokens/);
    expect(stderr).toMatch(/POST \/other\/completion 200 \d+ms 1 tokens aborted/);
  });
});
