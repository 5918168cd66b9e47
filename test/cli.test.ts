import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startOpenAICompatibleServer, type TestingServer } from "../src/testing/index.js";
import { upstream } from "./helpers/fixtures.js";
import { closedBeforeToken } from "./helpers/order.js";

const CLI = fileURLToPath(new URL("../src/cli/index.ts", import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: () => string;
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
  return { child, stdout, stderr: () => stderr, done };
}

const SERVING = /serving POST (\S+)\/other\/completion/;

/** The base URL once `serve` says it is listening, or `undefined` if it exits first. */
async function serving(run: Run): Promise<string | undefined> {
  let exited = false;
  void run.done.then(() => {
    exited = true;
  });
  while (!exited && !SERVING.test(run.stderr()))
    await new Promise((resolve) => setTimeout(resolve, 10));
  return SERVING.exec(run.stderr())?.[1];
}

/** Runs `serve` expecting it to refuse to start; kills it (and the expectation fails) if it serves. */
async function refusesToServe(args: string[]) {
  const run = cli(["serve", "--port", "0", ...args]);
  const base = await serving(run);
  if (base !== undefined) run.child.kill("SIGKILL");
  expect(base, "serve started").toBeUndefined();
  return run.done;
}

/** The one line a failed run printed to stderr (the expectation fails if there were more). */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  expect(lines, stderr).toHaveLength(1);
  return lines[0] as string;
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
    const { code, stderr } = await run.done;
    expect(code).toBe(0);
    await server.waitForConnections(0);
    expect(server.tokensSent()).toBe(1);
    expect(stderr).toMatch(/GET \/health 200 \d+ms 0 tokens/);
    expect(stderr).toMatch(/POST \/other\/completion 200 \d+ms 1 tokens shutting_down/);
    expect(stderr).toMatch(/^completion-chain: SIGTERM received, draining: .*--grace.*$/m);
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
});

describe("flags", () => {
  test("a negative number after a numeric flag is its value: --max-tokens -3 asks for the model's maximum", async () => {
    const server = await upstream({ tokens: ["ok"] });
    const { code, stdout } = await cli([
      "hi",
      "--base-url",
      server.url,
      "--model",
      "m",
      "--max-tokens",
      "-3",
    ]).done;
    expect(code).toBe(0);
    expect(stdout).toBe("ok\n");
    expect(server.requests[0]?.body).not.toHaveProperty("max_tokens");
  });

  test("a flag whose value starts with a dash fails with exit 2 and one line", async () => {
    const { code, stderr } = await cli(["hi", "--model", "-x"]).done;
    expect(code).toBe(2);
    expect(oneLine(stderr)).toContain("--model");
  });

  test("--timeout takes positive seconds: 0 fails with exit 2 and one line naming it", async () => {
    const { code, stderr } = await cli(["hi", "--timeout", "0"]).done;
    expect(code).toBe(2);
    expect(oneLine(stderr)).toBe(
      'completion-chain: --timeout must be a positive number of seconds, got "0"',
    );
  });

  test("serve --timeout, --client-timeout and --grace reject bad values with exit 2 and one line naming the flag", async () => {
    const runs = await Promise.all([
      refusesToServe(["--timeout", "0"]),
      refusesToServe(["--client-timeout", "soon"]),
      refusesToServe(["--grace", "-1"]),
    ]);
    expect(runs.map(({ code }) => code)).toEqual([2, 2, 2]);
    expect(runs.map(({ stderr }) => oneLine(stderr))).toEqual([
      'completion-chain: --timeout must be a positive number of seconds, got "0"',
      'completion-chain: --client-timeout must be a positive number of seconds, got "soon"',
      'completion-chain: --grace must be a positive number of seconds, got "-1"',
    ]);
  });

  test("both --help texts document the exit codes", async () => {
    const [complete, serve] = await Promise.all([
      cli(["--help"]).done,
      cli(["serve", "--help"]).done,
    ]);
    for (const help of [complete.stdout, serve.stdout]) {
      expect(help).toMatch(/^Exit codes:/m);
      expect(help).toMatch(/^ {2}1 +/m);
      expect(help).toMatch(/^ {2}2 +/m);
    }
    expect(complete.stdout).toMatch(/^ {2}130 +/m);
    expect(complete.stdout).toContain("--timeout <s>");
    expect(serve.stdout).toContain("--client-timeout <s>");
    expect(serve.stdout).toContain("--grace <s>");
    expect(serve.stdout).toContain("--prompt <name>");
  });
});

describe("startup checks fail with exit 2 and one line saying what is wrong and where, before anything runs", () => {
  let dir: string;
  let server: TestingServer;
  let config: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "completion-chain-cli-"));
    server = await startOpenAICompatibleServer();
    config = join(dir, "models.json");
    await writeFile(
      config,
      JSON.stringify({
        models: { local: { baseURL: server.url }, other: { baseURL: server.url } },
      }),
    );
    await mkdir(join(dir, "prompts", "completion"), { recursive: true });
    await writeFile(join(dir, "prompts", "completion", "qa.txt"), "Q: {input}\nA:");
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("with no endpoint configured, --model gpt-9 is refused instead of answered by the demo model, naming offline-demo and how to configure one", async () => {
    const { code, stdout, stderr } = await cli(["hi", "--model", "gpt-9"]).done;
    expect(code).toBe(2);
    expect(stdout).toBe("");
    const line = oneLine(stderr);
    expect(line).toContain('"gpt-9"');
    expect(line).toContain("no model endpoint is configured");
    expect(line).toContain("offline-demo");
    for (const way of ["--base-url", "--config", "OPENAI_BASE_URL", "OPENAI_API_KEY"])
      expect(line).toContain(way);
  });

  test("with no endpoint configured, --model offline-demo is the demo model and a provider:model name still goes to LangChain", async () => {
    const [demo, provider] = await Promise.all([
      cli(["hi", "--model", "offline-demo"]).done,
      cli(["hi", "--model", "openai:gpt-9"]).done,
    ]);
    expect(demo).toMatchObject({ code: 0, stdout: "hi\n" });
    expect(provider.code).toBe(1);
    // LangChain's own complaint (no OpenAI key), at run time: not the startup check's.
    expect(oneLine(provider.stderr)).not.toContain("no model endpoint is configured");
  });

  test("with --config, an unknown --model is refused listing the configured names, and nothing is sent", async () => {
    const before = server.requests.length;
    const { code, stderr } = await cli(["hi", "--config", config, "--model", "gpt-9"]).done;
    expect(code).toBe(2);
    expect(oneLine(stderr)).toMatch(/"gpt-9".*configured: local, other/);
    expect(server.requests.length).toBe(before);
  });

  test("serve with --config and an unknown --model refuses to start, listing the configured names", async () => {
    const { code, stderr } = await refusesToServe(["--config", config, "--model", "gpt-9"]);
    expect(code).toBe(2);
    expect(oneLine(stderr)).toMatch(/"gpt-9".*configured: local, other/);
  });

  test("a --prompts-dir that does not exist is refused, naming the path", async () => {
    const missing = join(dir, "no-such-prompts");
    const { code, stdout, stderr } = await cli(["hi", "--prompts-dir", missing]).done;
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(oneLine(stderr)).toContain(`--prompts-dir ${missing}`);
  });

  test("an unknown --prompt is refused before the demo model starts, listing the templates of --prompts-dir and the bundled ones", async () => {
    const prompts = join(dir, "prompts");
    const { code, stderr } = await cli(["hi", "--prompt", "nope", "--prompts-dir", prompts]).done;
    expect(code).toBe(2);
    expect(oneLine(stderr)).toMatch(/"nope".*available: default, qa/);
  });

  test("serve with an unknown --prompt refuses to start, listing the available templates", async () => {
    const { code, stderr } = await refusesToServe(["--prompt", "nope"]);
    expect(code).toBe(2);
    expect(oneLine(stderr)).toMatch(/--prompt "nope".*available: default/);
  });

  test("a --config file that is not valid JSON is named with a line and column, and none of its text is printed", async () => {
    const broken = join(dir, "broken.json");
    await writeFile(
      broken,
      '{\n  "models": {\n    "local": { "apiKey": sk-SECRET-KEY-1234, "baseURL": "http://x" }\n  }\n}\n',
    );
    const { code, stderr } = await cli(["hi", "--config", broken]).done;
    expect(code).toBe(2);
    expect(oneLine(stderr)).toBe(
      `completion-chain: --config ${broken}: not valid JSON at line 3, column 26`,
    );
  });

  test("schema errors in a --config file never print the value of an apiKey or a baseURL", async () => {
    const cases = [
      { apiKey: 987_654_321, baseURL: server.url },
      { apiKey: ["sk-SECRET-KEY-1234"] },
      { baseURL: "sk-SECRET-KEY-1234 is not a URL" },
      { baseURL: { url: "http://sk-SECRET-KEY-1234@x" } },
    ];
    const runs = await Promise.all(
      cases.map(async (entry, index) => {
        const file = join(dir, `schema-${index}.json`);
        await writeFile(file, JSON.stringify({ models: { local: entry } }));
        return cli(["hi", "--config", file]).done;
      }),
    );
    for (const { code, stderr } of runs) {
      expect(code).toBe(2);
      const line = oneLine(stderr);
      expect(line).toMatch(/models\.local\.(apiKey|baseURL)/);
      expect(line).not.toMatch(/987654321|SECRET/);
    }
  });

  test("a baseURL holding user:password@ is refused in --config and in --base-url, without printing the password", async () => {
    const file = join(dir, "credentials.json");
    const withPassword = server.url.replace("http://", "http://user:sk-SECRET-KEY-1234@");
    await writeFile(file, JSON.stringify({ models: { local: { baseURL: withPassword } } }));
    const runs = await Promise.all([
      cli(["hi", "--config", file]).done,
      cli(["hi", "--base-url", withPassword, "--model", "m"]).done,
    ]);
    for (const { code, stderr } of runs) {
      expect(code).toBe(2);
      const line = oneLine(stderr);
      expect(line).toContain("apiKey");
      expect(line).not.toContain("SECRET");
    }
    expect(oneLine(runs[0]?.stderr ?? "")).toContain("models.local.baseURL");
    expect(oneLine(runs[1]?.stderr ?? "")).toContain("--base-url");
  });
});
