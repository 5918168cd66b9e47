// The playground page in a real browser: Debian's Chromium driven by playwright-core, against
// `serveCompletion` with the offline demo model (the testing server echoing the prompt word by
// word, as `completion-chain serve` runs it with no endpoint configured). CI installs Chromium
// (.ci/run); when it is missing this file fails, it does not skip.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { OFFLINE_DEMO_MODEL } from "../src/cli/offline-demo.js";
import { type CompletionServer, serveCompletion } from "../src/http/node/index.js";
import { startOpenAICompatibleServer, type TestingServer } from "../src/testing/index.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// Without these, Chromium reaches for update, sync and field-trial servers at start-up.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const OUTPUT_DIR = fileURLToPath(new URL("../test-output/", import.meta.url));
const WAIT = { timeout: 15_000 };
const SLOW_TOKENS = Array.from({ length: 50 }, (_, i) => ` word${i}`);

let browser: Browser | undefined;
let demo: TestingServer | undefined;
let slow: TestingServer | undefined;
let api: CompletionServer | undefined;
const logLines: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The playground test needs Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install --no-install-recommends chromium, as .ci/run does) or set CHROMIUM_PATH`,
    );
  }
  // The offline demo model's settings (src/cli/offline-demo.ts), plus a fault on request.
  demo = await startOpenAICompatibleServer({
    delayMs: 40,
    script: (request) =>
      JSON.stringify(request.body).includes("fault") ? { errorChunkAfterTokens: 2 } : {},
  });
  // A long answer, one token at once and then one every 200 ms: there is time to press Stop.
  slow = await startOpenAICompatibleServer({
    tokens: SLOW_TOKENS,
    delayMs: (i) => (i === 0 ? 0 : 200),
  });
  api = await serveCompletion({
    port: 0,
    log: (line) => logLines.push(line),
    models: {
      [OFFLINE_DEMO_MODEL]: { kind: "completion", baseURL: demo.url, apiKey: OFFLINE_DEMO_MODEL },
      "slow-demo": { kind: "chat", baseURL: slow.url, apiKey: "slow-demo", maxRetries: 0 },
    },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await Promise.all([demo?.close(), slow?.close()]);
});

/** A fresh page on the playground, recording every URL it requests and every console error. */
interface Visit {
  context: BrowserContext;
  page: Page;
  requested: string[];
  problems: string[];
}
const visits: Visit[] = [];
afterEach(async () => {
  await Promise.all(visits.splice(0).map((visit) => visit.context.close()));
});

async function open(setup?: (context: BrowserContext) => Promise<void>): Promise<Visit> {
  if (browser === undefined || api === undefined) throw new Error("beforeAll did not finish");
  const context = await browser.newContext();
  const visit: Visit = { context, page: await context.newPage(), requested: [], problems: [] };
  visits.push(visit);
  await setup?.(context);
  visit.page.on("request", (request) => visit.requested.push(request.url()));
  visit.page.on("console", (message) => {
    if (message.type() === "error") visit.problems.push(message.text());
  });
  visit.page.on("pageerror", (error) => visit.problems.push(error.message));
  await visit.page.goto(`${api.url}/`);
  return visit;
}

const text = (page: Page, selector: string) =>
  page.locator(selector).evaluate((node) => node.textContent ?? "");
const status = (page: Page) => text(page, "#status");
const waitForStatus = (page: Page, pattern: RegExp) =>
  page.waitForFunction(
    (source) => new RegExp(source).test(document.getElementById("status")?.textContent ?? ""),
    pattern.source,
    WAIT,
  );
const waitForModels = (page: Page, count: number) =>
  page.waitForFunction((n) => document.querySelectorAll("#model option").length === n, count, WAIT);

/** Fails with `message` if `promise` has not settled within `ms` (a bound, not an assertion on time). */
function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

describe("the playground at GET /", () => {
  test("the page fills its prompt and model lists from /prompts and /models and requests nothing from any other origin", async () => {
    const { page, requested, problems } = await open();
    await waitForModels(page, 2);
    const models = await page.locator("#model option").allTextContents();
    expect(models).toEqual([`${OFFLINE_DEMO_MODEL} (completion)`, "slow-demo (chat)"]);
    expect(await page.locator("#model").inputValue()).toBe(OFFLINE_DEMO_MODEL);
    expect(await page.locator("#prompt option").allTextContents()).toEqual(["default"]);
    expect(await page.locator("#stream").isChecked()).toBe(true);
    expect(await status(page)).toBe("Ready");
    expect(requested.length).toBeGreaterThanOrEqual(3); // the page, /models, /prompts
    expect(requested.filter((url) => !url.startsWith(`${api?.url}/`))).toEqual([]);
    expect(problems).toEqual([]); // a CSP violation is a console error
  });

  test("the page's content security policy is enforced: no injected inline script runs, no other origin is reached", async () => {
    const { page, problems } = await open();
    await waitForModels(page, 2);
    const other = `http://127.0.0.1:${demo?.port}/v1/models`; // loopback, another origin
    const before = demo?.requests.length;
    const outcome = await page.evaluate(async (url) => {
      const violations: string[] = [];
      document.addEventListener("securitypolicyviolation", (event) =>
        violations.push(event.violatedDirective),
      );
      const script = document.createElement("script");
      script.textContent = "window.injected = true";
      document.body.append(script);
      const fetched = await fetch(url).then(
        () => "fetched",
        () => "refused",
      );
      await new Promise((resolve) => setTimeout(resolve, 0)); // violation events are queued tasks
      const injected = (window as unknown as { injected?: boolean }).injected === true;
      return { injected, fetched, violations };
    }, other);
    expect(outcome).toEqual({
      injected: false,
      fetched: "refused",
      violations: ["script-src-elem", "connect-src"],
    });
    expect(demo?.requests.length).toBe(before);
    expect(problems.length).toBeGreaterThan(0); // Chromium reports both on the console
  });

  test("with an API key required, the page says so, takes the key and sends it as a bearer token on every request and in the copied curl, storing it nowhere", async () => {
    const seen: string[] = [];
    const { page } = await open(async (context) => {
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: api?.url });
      // Stands in for `serve --api-key`: every route but the page itself wants the key.
      await context.route(
        (url) => url.pathname !== "/",
        async (route) => {
          const auth = route.request().headers().authorization;
          seen.push(`${new URL(route.request().url()).pathname} ${auth ?? "-"}`);
          if (auth === "Bearer sekret-key") await route.continue();
          else {
            const body = '{"detail":"Not authenticated"}';
            await route.fulfill({ status: 401, contentType: "application/json", body });
          }
        },
      );
    });
    await page.waitForFunction(
      () => /API key required/.test(document.getElementById("error")?.textContent ?? ""),
      undefined,
      WAIT,
    );
    expect(await page.locator("#auth").evaluate((node) => (node as HTMLDetailsElement).open)).toBe(
      true,
    );
    await page.locator("#api-key").fill("sekret-key");
    await page.locator("#reload").click();
    await waitForModels(page, 2);
    expect(await page.locator("#error").isHidden()).toBe(true);

    await page.locator("#query").fill("with a key");
    await page.locator("#send").click();
    await waitForStatus(page, /^Done$/);
    expect(await text(page, "#output")).toBe("with a key");

    await page.locator("#copy").click();
    await waitForStatus(page, /^Copied/);
    const shown = await text(page, "#curl");
    expect(shown).toContain("-H 'authorization: Bearer ****'");
    expect(shown).not.toContain("sekret");
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(shown.replace("****", "sekret-key"));

    expect(seen).toEqual(
      expect.arrayContaining([
        "/models -",
        "/models Bearer sekret-key",
        "/prompts Bearer sekret-key",
        "/other/completion Bearer sekret-key",
      ]),
    );
    const stored = await page.evaluate(
      () => localStorage.length + sessionStorage.length + document.cookie.length,
    );
    expect(stored).toBe(0);
  });

  test("tokens from the offline demo model appear one by one as they stream, and the answer ends as scripted", async () => {
    const { page, problems } = await open();
    await waitForModels(page, 2);
    // Tokens of the echo model: "hello", " big", " world", "\nfrom"… (one with a line break).
    const query = "hello big world\nfrom the playground page";
    await page.locator("#query").fill(query);
    // Every change of the output: the text before each change (its record's old value) and after
    // each batch. Mutations made in one task reach the observer together, so under load (CI: two
    // cores, the suite beside the browser) several tokens' appends can share one callback, and
    // only the old values still show each state the page went through.
    await page.evaluate(() => {
      const output = document.getElementById("output") as HTMLElement;
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver((records) => {
        for (const record of records) {
          if (record.type === "characterData") seen.push(record.oldValue ?? "");
        }
        seen.push(output.textContent ?? "");
      }).observe(output, {
        characterData: true,
        characterDataOldValue: true,
        childList: true,
        subtree: true,
      });
    });
    await page.locator("#send").click();
    await waitForStatus(page, /^Done$/);
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    const partial = [...new Set(seen)].filter((t) => t !== "" && t !== query);
    expect(partial.length).toBeGreaterThanOrEqual(2);
    for (const t of partial) expect(query.startsWith(t)).toBe(true);
    expect(await text(page, "#output")).toBe(query);
    expect(await page.locator("#error").isHidden()).toBe(true);
    expect(demo?.requests.at(-1)?.body).toMatchObject({
      model: OFFLINE_DEMO_MODEL,
      prompt: query,
      stream: true,
      temperature: 0.7,
      max_tokens: 1024,
    });
    expect(problems).toEqual([]);
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: `${OUTPUT_DIR}playground.png`, fullPage: true });
  });

  test("Stop ends the answer mid-stream, and the server aborts its upstream request", async () => {
    const { page } = await open();
    await waitForModels(page, 2);
    await page.locator("#model").selectOption("slow-demo");
    await page.locator("#query").fill("a long answer");
    await page.locator("#send").click();
    await page.waitForFunction(
      () => (document.getElementById("output")?.textContent ?? "") !== "",
      undefined,
      WAIT,
    );
    await page.locator("#stop").click();
    await waitForStatus(page, /^Stopped/);
    // The upstream socket closes only if the server aborted the request: a finished answer would
    // leave it open for keep-alive.
    await within(
      slow?.waitForConnections(0) ?? Promise.resolve(),
      10_000,
      "the upstream connection is still open after Stop",
    );
    expect(slow?.tokensSent()).toBeLessThan(SLOW_TOKENS.length);
    expect(SLOW_TOKENS.join("").startsWith(await text(page, "#output"))).toBe(true);
    await vi.waitFor(() => expect(logLines.join("\n")).toMatch(/client_closed/), WAIT);
    expect(await page.locator("#send").isEnabled()).toBe(true);
    expect(await page.locator("#stop").isDisabled()).toBe(true);
  });

  test("errors appear as the API reports them: a 422 before the stream, an error frame during it", async () => {
    const { page } = await open();
    await waitForModels(page, 2);
    await page.locator("#query").fill("hello");
    await page.locator("#temperature").fill("1.5");
    await page.locator("#send").click();
    await waitForStatus(page, /^Failed$/);
    expect(await text(page, "#error")).toBe(
      "HTTP 422 Unprocessable Entity: body.temperature: ensure this value is less than or equal to 1.0",
    );

    await page.locator("#temperature").fill("0.5");
    await page.locator("#query").fill("fault after two tokens");
    await page.locator("#send").click();
    await waitForStatus(page, /^Failed$/);
    expect(await text(page, "#output")).toBe("fault after");
    expect(await text(page, "#error")).toMatch(
      /^The stream reported an error: upstream_error: The model endpoint sent an error/,
    );
  });

  test("with Stream off the whole answer arrives as one event, line breaks and all", async () => {
    const { page } = await open();
    await waitForModels(page, 2);
    await page.locator("#stream").uncheck();
    const query = "one answer\r\nin 世界 two lines";
    await page.locator("#query").fill(query);
    const sent = page.waitForRequest((request) => request.url().includes("/other/completion"));
    await page.locator("#send").click();
    expect((await sent).postDataJSON()).toMatchObject({
      query: query.replace("\r", ""),
      stream: false,
    });
    await waitForStatus(page, /^Done$/);
    // The textarea gives "\n" for any line break; SSE carries it as two data lines.
    expect(await text(page, "#output")).toBe("one answer\nin 世界 two lines");
  });

  test("Copy curl gives a command a shell reads back into the same request, quotes included", async () => {
    const { page } = await open();
    await waitForModels(page, 2);
    const query = `it's "quoted" $HOME \`x\` \\ 世界\nline two`;
    await page.locator("#query").fill(query);
    await page.locator("#echo").check();
    await page.locator("#max-tokens").fill("64");
    await page.locator("#copy").click();
    const command = await text(page, "#curl");
    // A shell function named curl prints the words it was given, NUL-separated.
    const words = execFileSync("sh", ["-c", `curl() { printf '%s\\0' "$@"; }; ${command}`], {
      encoding: "utf8",
    })
      .split("\0")
      .slice(0, -1);
    expect(words.slice(0, 7)).toEqual([
      "-N",
      "-X",
      "POST",
      `${api?.url}/other/completion`,
      "-H",
      "content-type: application/json",
      "-d",
    ]);
    expect(JSON.parse(words[7] ?? "")).toEqual({
      query,
      stream: true,
      echo: true,
      model_name: OFFLINE_DEMO_MODEL,
      temperature: 0.7,
      max_tokens: 64,
      prompt_name: "default",
    });
    expect(words).toHaveLength(8);
  });
});
