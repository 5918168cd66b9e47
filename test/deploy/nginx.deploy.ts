/**
 * Scale-out behind a real nginx: two `completion-chain serve` instances behind the shipped
 * examples/deploy/nginx.conf (only its ports replaced, wrapped in a test-only nginx.conf that puts
 * pid, logs and temp files in a temp dir). Not part of `npm test`: run by `npm run test:nginx`
 * (vitest.deploy.config.ts), which needs Debian's nginx at /usr/sbin/nginx (or $NGINX); .ci/run
 * installs it. Without it this file fails: it never skips.
 *
 * Each instance's model registry names the same testing servers (one per test), and sends
 * its own model id upstream (`instance-a`, `instance-b`), so a test can tell which instance served
 * a request from what the testing server was asked.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type RecordedRequest,
  startOpenAICompatibleServer,
  type TestingServer,
} from "../../src/testing/index.js";
import { cli, type Run, serving } from "../helpers/cli-process.js";

const NGINX = process.env.NGINX ?? "/usr/sbin/nginx";
const SHIPPED = new URL("../../examples/deploy/nginx.conf", import.meta.url);
const INSTANCES = ["instance-a", "instance-b"] as const;

const BIG_TOKENS = 40_000;
const bigToken = (index: number) => `${String(index).padStart(8, "0")}${"x".repeat(1_015)} `;

/** Resolves `promise`, or rejects once `ms` have passed (the timer is cleared either way). */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `check` every 20 ms until it returns something other than `undefined`, for at most `ms`
 * (then it throws, naming `what`). A throw from `check` ends the wait at once.
 */
async function poll<T>(
  ms: number,
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

/** A port nothing listens on right now (nginx needs one in its config; serve takes port 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/** The model id the instance sent upstream: which instance served the request. */
const instanceOf = (request: RecordedRequest) => (request.body as { model: string }).model;

/** The completions prompt of an upstream request (a string or a one-element array). */
const promptOf = (request: RecordedRequest) => {
  const { prompt } = request.body as { prompt: string | string[] };
  return Array.isArray(prompt) ? (prompt[0] ?? "") : prompt;
};

/** The shipped config with its two upstream ports and its listen port replaced, nothing else. */
async function shippedConfig(ports: number[], listen: number): Promise<string> {
  let text = await readFile(SHIPPED, "utf8");
  const replace = (from: RegExp, to: string) => {
    const found = text.match(new RegExp(from.source, `${from.flags}g`)) ?? [];
    expect(found, `examples/deploy/nginx.conf should hold ${from} once`).toHaveLength(1);
    text = text.replace(from, to);
  };
  replace(/^(\s*server\s+)127\.0\.0\.1:7861\b/m, `$1127.0.0.1:${ports[0]}`);
  replace(/^(\s*server\s+)127\.0\.0\.1:7862\b/m, `$1127.0.0.1:${ports[1]}`);
  replace(/^(\s*listen\s+)8080;/m, `$1127.0.0.1:${listen};`);
  return text;
}

/** What the test adds around the shipped file: an nginx.conf whose files all live in `dir`. */
function wrapperConfig(dir: string): string {
  const path = (name: string) => JSON.stringify(join(dir, name));
  return [
    // As root the workers would run as "nobody", who cannot enter the temp dir.
    process.getuid?.() === 0 ? "user root;" : "",
    "worker_processes 1;",
    `pid ${path("nginx.pid")};`,
    `error_log ${path("error.log")} info;`,
    "events { worker_connections 256; }",
    "http {",
    `  access_log ${path("access.log")};`,
    `  client_body_temp_path ${path("temp/client_body")};`,
    `  proxy_temp_path ${path("temp/proxy")};`,
    `  fastcgi_temp_path ${path("temp/fastcgi")};`,
    `  uwsgi_temp_path ${path("temp/uwsgi")};`,
    `  scgi_temp_path ${path("temp/scgi")};`,
    `  include ${path("completion-chain.conf")};`,
    "}",
    "",
  ].join("\n");
}

/** Complete SSE frames in `text` (each ends in a blank line) and what is left after them. */
function frames(text: string): { complete: string[]; rest: string } {
  const parts = text.split("\r\n\r\n");
  return { complete: parts.slice(0, -1), rest: parts.at(-1) ?? "" };
}

/** The JSON log lines an instance has written so far. */
function logLines(run: Run): Record<string, unknown>[] {
  return run.stdout
    .join("")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

let dir: string;
let nginx: ChildProcess | undefined;
let nginxExit: Promise<void> | undefined;
let nginxStderr = "";
let base: string;
const runs = new Map<string, Run>();
const ports = new Map<string, number>();
const upstreams: Record<"paced" | "gone" | "main" | "big", TestingServer | undefined> = {
  paced: undefined,
  gone: undefined,
  main: undefined,
  big: undefined,
};

const upstream = (name: keyof typeof upstreams) => {
  const server = upstreams[name];
  if (!server) throw new Error(`testing server ${name} did not start`);
  return server;
};

const post = (body: object, signal?: AbortSignal) =>
  fetch(`${base}/other/completion`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "hi", ...body }),
    ...(signal ? { signal } : {}),
  });

beforeAll(async () => {
  if (!existsSync(NGINX)) {
    throw new Error(
      `nginx is not installed at ${NGINX}: this test runs a real nginx. Install Debian's ` +
        "(apt-get install --no-install-recommends nginx; .ci/run does) or set $NGINX to its binary.",
    );
  }
  dir = await mkdtemp(join(tmpdir(), "completion-chain-nginx-"));
  await mkdir(join(dir, "temp"));

  // (a) tokens paced 150 ms apart.
  upstreams.paced = await startOpenAICompatibleServer({
    tokens: ["t0", " t1", " t2", " t3", " t4", " t5", " t6", " t7"],
    delayMs: 150,
  });
  // (b) one token, then the next only after 30 s: the stream is in flight for as long as a test runs.
  upstreams.gone = await startOpenAICompatibleServer({
    tokens: Array.from({ length: 20 }, (_, i) => ` g${i}`),
    delayMs: (index) => (index === 0 ? 0 : 30_000),
  });
  // (c) the first token names the instance; a query "slow" gets 50 more tokens 200 ms apart.
  upstreams.main = await startOpenAICompatibleServer({
    script: (request) => {
      const name = instanceOf(request);
      return promptOf(request) === "slow"
        ? {
            tokens: [name, ...Array.from({ length: 50 }, () => " x")],
            delayMs: (index) => (index === 0 ? 0 : 200),
          }
        : { tokens: [name, " says", " hi"] };
    },
  });

  // (d) a 40 MiB answer, as fast as it can be sent: 40,000 tokens of 1 KiB, numbered.
  upstreams.big = await startOpenAICompatibleServer({
    tokens: Array.from({ length: BIG_TOKENS }, (_, index) => bigToken(index)),
  });

  for (const instance of INSTANCES) {
    const entry = (server: TestingServer) => ({
      kind: "completion",
      baseURL: server.url,
      model: instance,
      maxRetries: 0,
    });
    const config = join(dir, `${instance}.json`);
    const models = {
      paced: entry(upstream("paced")),
      gone: entry(upstream("gone")),
      main: entry(upstream("main")),
      big: entry(upstream("big")),
    };
    await writeFile(config, JSON.stringify({ models }));
    runs.set(instance, cli(["serve", "--port", "0", "--config", config, "--log-format", "json"]));
  }
  for (const [instance, run] of runs) {
    const url = await within(20_000, `${instance} starting`, serving(run));
    if (url === undefined) throw new Error(`${instance} did not start: ${run.stderr()}`);
    ports.set(instance, Number(new URL(url).port));
  }

  const listen = await freePort();
  base = `http://127.0.0.1:${listen}`;
  await writeFile(
    join(dir, "completion-chain.conf"),
    await shippedConfig([...ports.values()], listen),
  );
  await writeFile(join(dir, "nginx.conf"), wrapperConfig(dir));
  const args = ["-p", `${dir}/`, "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf")];
  const child = spawn(NGINX, [...args, "-g", "daemon off;"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  nginx = child;
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    nginxStderr += chunk;
  });
  nginxExit = new Promise((resolve) => child.on("close", () => resolve()));
  let exited = false;
  void nginxExit.then(() => {
    exited = true;
  });
  await poll(10_000, "nginx answering GET /health", async () => {
    if (exited) throw new Error(`nginx exited: ${nginxStderr}`);
    const response = await fetch(`${base}/health`).catch(() => undefined);
    await response?.text();
    return response?.status === 200 ? true : undefined;
  });
});

afterAll(async () => {
  if (nginx?.exitCode === null && nginx.signalCode === null) {
    nginx.kill("SIGTERM");
    await within(5_000, "nginx stopping", nginxExit ?? Promise.resolve()).catch(() => {
      nginx?.kill("SIGKILL");
    });
  }
  await Promise.all(
    [...runs.values()].map(async (run) => {
      if (run.child.exitCode !== null || run.child.signalCode !== null) return;
      run.child.kill("SIGKILL");
      await within(5_000, "serve stopping", run.done).catch(() => {});
    }),
  );
  await Promise.all(Object.values(upstreams).map((server) => server?.close()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Reads `reader` until one complete SSE frame has arrived; returns it (without its blank line). */
async function firstFrame(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before a whole frame: ${JSON.stringify(text)}`);
    text += decoder.decode(value, { stream: true });
    const [frame] = frames(text).complete;
    if (frame !== undefined) return frame;
  }
}

/** Reads `reader` to its end: what came, and the error that ended it, if any. */
async function rest(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<{ text: string; error?: unknown }> {
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { text: text + decoder.decode() };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

/** nginx's error log so far (level info: it records disconnects and failovers). */
const errorLog = () => readFile(join(dir, "error.log"), "utf8").catch(() => "");

/** The port an instance listens on. */
const portOf = (instance: string) => ports.get(instance);

const runOf = (instance: string) => {
  const run = runs.get(instance);
  if (!run) throw new Error(`no instance ${instance}`);
  return run;
};

describe("two serve instances behind the shipped examples/deploy/nginx.conf", () => {
  test("tokens arrive one by one through nginx: the first frame reaches the client before the upstream has sent the last token", async () => {
    const paced = upstream("paced");
    const tokens = ["t0", " t1", " t2", " t3", " t4", " t5", " t6", " t7"];
    const response = await post({ stream: true, model_name: "paced" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    // nginx acts on the instance's x-accel-buffering header and does not pass it on.
    expect(response.headers.get("x-accel-buffering")).toBeNull();
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const received: string[] = [];
    // For each frame, how many tokens the upstream had sent when the frame reached the client.
    const sentAtArrival: number[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const { complete, rest } = frames(text);
      text = rest;
      for (const frame of complete) {
        if (!frame.startsWith("data:")) continue; // a ping comment
        received.push(frame);
        sentAtArrival.push(paced.tokensSent());
      }
    }
    expect(received).toEqual(tokens.map((token) => `data: ${token}`));
    // A buffering proxy would hold the frames until the answer ended: every count would be 8.
    expect(sentAtArrival[0], `tokens sent upstream at each arrival: ${sentAtArrival}`).toBeLessThan(
      tokens.length,
    );
  });

  test("a client that disconnects from nginx aborts the upstream request at once", async () => {
    const gone = upstream("gone");
    const controller = new AbortController();
    const response = await post({ stream: true, model_name: "gone" }, controller.signal);
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(await within(10_000, "the first frame", firstFrame(reader))).toBe("data:  g0");
    expect(gone.openConnections()).toBe(1);
    const [request] = gone.requests;
    if (!request) throw new Error("the testing server saw no request");
    controller.abort();
    // The next token is 30 s away and the first ping 15 s: nothing but the client's disconnect,
    // passed on by nginx and then by the instance, can close the upstream connection this soon.
    await within(5_000, "the upstream connection closing", gone.waitForConnections(0));
    expect(gone.tokensSent()).toBe(1);
    const logged = await poll(5_000, "the instance's log line", () =>
      logLines(runOf(instanceOf(request))).find((line) => line.path === "/other/completion"),
    );
    expect(logged).toMatchObject({ status: 200, tokens: 1, disconnect: "client_closed" });
    // nginx's own account (its access log says 200: the status it had sent already).
    await poll(5_000, "nginx's error log line", async () =>
      (await errorLog()).includes(
        "client prematurely closed connection, so upstream connection is closed too",
      )
        ? true
        : undefined,
    );
  });

  test("nginx spreads requests over both instances and gives each its request id, which the instance logs and returns", async () => {
    const served: string[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await post({ model_name: "main" });
      expect(response.status).toBe(200);
      const body = await response.text();
      const [, instance] = /^data: (instance-[ab]) says hi\r\n\r\n$/.exec(body) ?? [];
      if (instance === undefined) throw new Error(`unexpected body ${JSON.stringify(body)}`);
      served.push(instance);
      const id = response.headers.get("x-request-id");
      expect(id).toMatch(/^[0-9a-f]{32}$/); // nginx's $request_id
      await poll(5_000, `${id} in ${instance}'s log`, () =>
        logLines(runOf(instance)).find((line) => line.requestId === id),
      );
    }
    expect(new Set(served)).toEqual(new Set(INSTANCES));
  });

  test("a client that stops reading holds the model back through nginx: nginx reads no further ahead of it than its buffers", async () => {
    const big = upstream("big");
    const response = await post({ stream: true, model_name: "big" });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await within(10_000, "the first bytes", reader.read());
    expect(first.done).toBe(false);
    // The client reads nothing more. Wait until the upstream stops sending (no new bytes for
    // 300 ms, at most 30 s): every buffer between it and the client is full.
    let sent = -1;
    for (let polls = 0; polls < 100 && big.bytesSent() !== sent; polls += 1) {
      sent = big.bytesSent();
      await sleep(300);
    }
    // The model is held back: it stopped before the end of its answer. Socket buffers on the
    // three loopback hops hold what it sent (12–21 MiB measured here; Linux grows a receive
    // buffer up to tcp_rmem's maximum, 32 MiB on this machine, so no fixed share of the answer is
    // a safe line); a buffering proxy would have taken the whole answer (its temp files hold up
    // to 1 GiB).
    expect(big.tokensSent()).toBeLessThan(BIG_TOKENS);
    // Reading again gets the whole answer, in order.
    const { text, error } = await within(30_000, "the rest of the answer", rest(reader));
    expect(error).toBeUndefined();
    expect(big.tokensSent()).toBe(BIG_TOKENS);
    const frames = (new TextDecoder().decode(first.value) + text)
      .split("\r\n\r\n")
      .filter((frame) => frame.startsWith("data: "));
    expect(frames).toHaveLength(BIG_TOKENS);
    expect(frames.every((frame, index) => frame === `data: ${bigToken(index)}`)).toBe(true);
  });

  test("killing an instance mid-stream cuts that stream; every new request is served by the other", async () => {
    const response = await post({ query: "slow", stream: true, model_name: "main" });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const [, victim] =
      /^data: (instance-[ab])$/.exec(await within(10_000, "the first frame", firstFrame(reader))) ??
      [];
    if (victim === undefined) throw new Error("the first frame names no instance");
    const survivor = INSTANCES.find((instance) => instance !== victim);
    runOf(victim).child.kill("SIGKILL");
    await within(5_000, `${victim} exiting`, runOf(victim).done);

    const cut = await within(5_000, "the cut stream ending", rest(reader));
    // 50 more tokens were scripted, 200 ms apart; the stream stopped early, and the client can
    // tell: nginx closed the connection without the chunked body's last chunk.
    expect(cut.text.split("data:  x").length - 1).toBeLessThan(50);
    expect(cut.error, "the cut stream should end in an error").toBeInstanceOf(Error);

    for (let i = 0; i < 6; i++) {
      const stream = i % 2 === 0;
      const again = await post({ stream, model_name: "main" });
      expect(again.status).toBe(200);
      const body = await again.text();
      expect(body).toBe(
        stream
          ? `data: ${survivor}\r\n\r\ndata:  says\r\n\r\ndata:  hi\r\n\r\n`
          : `data: ${survivor} says hi\r\n\r\n`,
      );
    }
    // Some of them went to the dead instance first: its connection was refused before the request
    // was sent, so nginx passed the POST on to the survivor (proxy_next_upstream error).
    const refused = `connect() failed (111: Connection refused) while connecting to upstream`;
    const log = await errorLog();
    expect(
      log
        .split("\n")
        .some((line) => line.includes(refused) && line.includes(`:${portOf(victim)}/`)),
      log,
    ).toBe(true);
  });
});
