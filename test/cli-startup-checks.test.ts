import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startOpenAICompatibleServer, type TestingServer } from "../src/testing/index.js";
import { cli, oneLine, refusesToServe } from "./helpers/cli-process.js";

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
