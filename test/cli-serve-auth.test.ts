// `completion-chain serve` with keys: --api-key, --api-key-file and COMPLETION_CHAIN_API_KEY, the
// warning for a server open to the network without one, and no key ever printed.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CliError } from "../src/cli/cli-error.js";
import { exposureWarning, isLoopback, serverApiKeys, withoutKeys } from "../src/cli/api-keys.js";
import { cli, serving } from "./helpers/cli-process.js";
import { upstream } from "./helpers/fixtures.js";

const ENV_KEYS = ["env-key-alpha-5d2c", "env-key-beta-91fe"];
const FLAG_KEY = "flag-key-gamma-0b7a";
const FILE_KEY = "file-key-delta-c3e8";

async function status(base: string, authorization?: string) {
  const response = await fetch(`${base}/other/completion`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query: "hi", stream: true }),
  });
  const text = await response.text();
  return { status: response.status, text };
}

async function stopped(run: ReturnType<typeof cli>) {
  run.child.kill("SIGTERM");
  return run.done;
}

describe("completion-chain serve with API keys", () => {
  test("COMPLETION_CHAIN_API_KEY holds several comma-separated keys: each is accepted, no key is refused, and none is printed", async () => {
    const server = await upstream({ tokens: ["ok"] });
    const run = cli(["serve", "--port", "0", "--base-url", server.url, "--model", "m"], {
      COMPLETION_CHAIN_API_KEY: ` ${ENV_KEYS.join(" , ")} `,
    });
    const base = await serving(run);
    expect(base).toBeDefined();
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await status(`${base}`)).status).toBe(401);
    for (const key of ENV_KEYS) {
      const answer = await status(`${base}`, `Bearer ${key}`);
      expect(answer.status).toBe(200);
      expect(answer.text).toBe("data: ok\r\n\r\n");
    }
    expect(server.requests).toHaveLength(2);
    const { code, stdout, stderr } = await stopped(run);
    expect(code).toBe(0);
    // The log (stdout, JSON as it is not a terminal) has the refusal; neither stream has a key.
    const logged = stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(logged).toContainEqual(
      expect.objectContaining({ path: "/other/completion", status: 401, error: "unauthorized" }),
    );
    expect(stderr).not.toContain("warning");
    for (const key of ENV_KEYS) expect(stdout + stderr).not.toContain(key);
  });

  test("--api-key and --api-key-file together replace the environment's keys", async () => {
    const dir = await mkdtemp(join(tmpdir(), "completion-chain-keys-"));
    const file = join(dir, "keys");
    await writeFile(file, `# the app's key\n\n  ${FILE_KEY}  \n`);
    const server = await upstream({ tokens: ["ok"] });
    const run = cli(
      ["serve", "--port", "0", "--base-url", server.url, "--model", "m"].concat([
        "--api-key",
        FLAG_KEY,
        "--api-key-file",
        file,
      ]),
      { COMPLETION_CHAIN_API_KEY: ENV_KEYS[0] },
    );
    const base = `${await serving(run)}`;
    expect((await status(base, `Bearer ${ENV_KEYS[0]}`)).status).toBe(401);
    expect((await status(base, `Bearer ${FLAG_KEY}`)).status).toBe(200);
    expect((await status(base, `bearer ${FILE_KEY}`)).status).toBe(200);
    const { stdout, stderr } = await stopped(run);
    for (const key of [FLAG_KEY, FILE_KEY, ENV_KEYS[0] as string])
      expect(stdout + stderr).not.toContain(key);
  });

  test("--host 0.0.0.0 without a key prints one warning line naming the risk; with a key it prints none", async () => {
    const open = cli(["serve", "--host", "0.0.0.0", "--port", "0"]);
    const guarded = cli(["serve", "--host", "0.0.0.0", "--port", "0"], {
      COMPLETION_CHAIN_API_KEY: ENV_KEYS[0],
    });
    expect(await serving(open)).toBeDefined();
    expect(await serving(guarded)).toBeDefined();
    const [openRun, guardedRun] = await Promise.all([stopped(open), stopped(guarded)]);
    const warnings = openRun.stderr.split("\n").filter((line) => line.includes("warning"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^completion-chain: warning: listening on 0\.0\.0\.0 without an API key: anyone who can reach port \d+ can use your model endpoint \(and its quota\) and read the answers; set \$COMPLETION_CHAIN_API_KEY or --api-key-file$/,
    );
    expect(guardedRun.stderr).not.toContain("warning");
    expect(guardedRun.stdout + guardedRun.stderr).not.toContain(ENV_KEYS[0]);
  });

  test("bad keys stop serve with exit 2 and a message naming where they came from, never the key", async () => {
    const cases: [string[], Record<string, string>, RegExp, string][] = [
      [
        [],
        { COMPLETION_CHAIN_API_KEY: "good-key-1234,bad secret-key" },
        /^completion-chain: \$COMPLETION_CHAIN_API_KEY \(the 2nd key\): a key must be visible ASCII/,
        "secret-key",
      ],
      [
        ["--api-key", "first-secret-key", "second-secret-key"],
        {},
        /^completion-chain: Unexpected argument\. This command/,
        "secret-key",
      ],
    ];
    const runs = cases.map(([args, env]) => cli(["serve", "--port", "0", ...args], env));
    const results = await Promise.all(runs.map((run) => run.done));
    results.forEach(({ code, stderr }, index) => {
      const [, , message, secret] = cases[index] as (typeof cases)[number];
      expect(code, stderr).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(stderr).not.toContain(secret);
    });
  });

  test("serve --help documents the flags, the variable and the ps exposure, and prints no key", async () => {
    const { code, stdout } = await cli(["serve", "--help"], {
      COMPLETION_CHAIN_API_KEY: ENV_KEYS[0],
    }).done;
    expect(code).toBe(0);
    expect(stdout).toContain("--api-key <key>");
    expect(stdout).toContain("--api-key-file <file>");
    expect(stdout).toMatch(/`ps`: prefer \$COMPLETION_CHAIN_API_KEY/);
    expect(stdout).not.toContain(ENV_KEYS[0]);
  });
});

describe("the key sources and the exposure check", () => {
  test("flags win over the environment; the environment's list is trimmed and split on commas", async () => {
    expect(await serverApiKeys({}, { COMPLETION_CHAIN_API_KEY: "a-key, b-key,," })).toEqual([
      "a-key",
      "b-key",
    ]);
    expect(
      await serverApiKeys({ "api-key": ["flag-key"] }, { COMPLETION_CHAIN_API_KEY: "a-key" }),
    ).toEqual(["flag-key"]);
    expect(await serverApiKeys({}, {})).toEqual([]);
  });

  test.each([
    [
      {},
      { COMPLETION_CHAIN_API_KEY: " , " },
      /^\$COMPLETION_CHAIN_API_KEY is set but holds no key/,
    ],
    [{ "api-key": ["ok-key-1", ""] }, {}, /^--api-key \(the 2nd\): a key must be/],
    [
      { "api-key-file": ["/nonexistent/keys"] },
      {},
      /^--api-key-file \/nonexistent\/keys: cannot read it \(no such file\)$/,
    ],
  ])("a bad key source is a usage error naming it: %j %j", async (flags, env, message) => {
    const thrown = await serverApiKeys(flags, env).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).exitCode).toBe(2);
    expect((thrown as CliError).message).toMatch(message);
  });

  test("a key file with a bad line names the line, not the key; one holding only comments is refused", async () => {
    const dir = await mkdtemp(join(tmpdir(), "completion-chain-keys-"));
    const bad = join(dir, "bad");
    await writeFile(bad, "# keys\ngood-key-1234\nsecret key\n");
    const empty = join(dir, "empty");
    await writeFile(empty, "# no keys yet\n\n");
    const failure = (path: string) =>
      serverApiKeys({ "api-key-file": [path] }, {}).then(
        () => "",
        (error: Error) => error.message,
      );
    const message = await failure(bad);
    expect(message).toBe(
      `--api-key-file ${bad}, line 3: a key must be visible ASCII characters, without spaces or control characters`,
    );
    expect(await failure(empty)).toBe(`--api-key-file ${empty}: holds no key (one per line)`);
  });

  test.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["127.1", true],
    ["::1", true],
    ["[::1]", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::ffff:127.0.0.1", true],
    ["localhost", true],
    ["LocalHost", true],
    ["0.0.0.0", false],
    ["::", false],
    ["[::]", false],
    ["10.0.0.1", false],
    ["192.168.1.20", false],
    ["::ffff:10.0.0.1", false],
    ["my-host", false],
    ["", false],
  ])("isLoopback(%j) is %s", (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });

  test("the warning is for a non-loopback address without keys only", () => {
    expect(exposureWarning("http://[::]:7861", [])).toContain(
      "listening on [::] without an API key",
    );
    expect(exposureWarning("http://[::]:7861", ["k-123"])).toBeUndefined();
    expect(exposureWarning("http://127.0.0.1:7861", [])).toBeUndefined();
  });

  test("a parser's message loses the values of --api-key, the environment's keys and the unexpected argument", () => {
    const message = "Option 'x' near 'flag-value-1' and 'env-value-1'";
    expect(
      withoutKeys(message, ["--api-key", "flag-value-1"], {
        COMPLETION_CHAIN_API_KEY: "env-value-1",
      }),
    ).toBe("Option 'x' near '***' and '***'");
    expect(
      withoutKeys(
        "Unexpected argument 'k2-key'. This command does not take positional arguments",
        [],
      ),
    ).toBe("Unexpected argument. This command does not take positional arguments");
  });
});
