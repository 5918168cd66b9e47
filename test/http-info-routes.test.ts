import { createHash } from "node:crypto";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { createCompletionHandler, type RequestLogEntry } from "../src/http/index.js";
import { setEnv } from "./helpers/env.js";
import { endpoint, TRANSPORTS, type Transport } from "./helpers/http.js";

const SECRET_KEY = "sk-do-not-list-me";
const REGISTRY = {
  qwen: { kind: "completion" as const, baseURL: "http://127.0.0.1:9/v1", apiKey: SECRET_KEY },
  "gpt-4o-mini": { baseURL: "http://127.0.0.1:9/private-path/v1", apiKey: SECRET_KEY },
  llama: { kind: "chat" as const, model: "llama-3.1-8b", baseURL: "http://127.0.0.1:9/v1" },
};

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A prompts directory overlaying the bundled one, holding `names` in category "completion". */
async function promptsDir(names: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "prompts-"));
  dirs.push(dir);
  await mkdir(join(dir, "completion"));
  for (const name of names) await writeFile(join(dir, "completion", name), "Q: {input}");
  return dir;
}

describe.each(TRANSPORTS)("%s transport", (transport: Transport) => {
  const serve: typeof endpoint = (options = {}) => endpoint({ ...options, transport });

  test("GET /models lists the configured names and kinds, the default first, and nothing of an entry's endpoint or key", async () => {
    const api = await serve({ models: REGISTRY, defaults: { model_name: "llama" } });
    const response = await fetch(`${api.url}/models`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      default: "llama",
      models: [
        { name: "llama", kind: "chat" },
        { name: "qwen", kind: "completion" },
        { name: "gpt-4o-mini", kind: "chat" },
      ],
    });
    for (const leak of [SECRET_KEY, "127.0.0.1", "private-path", "llama-3.1-8b", "baseURL"]) {
      expect(text).not.toContain(leak);
    }
  });

  test("with no registry, GET /models lists what a request may name: the environment's one model, or none", async () => {
    setEnv({
      OPENAI_BASE_URL: "http://user:pass@127.0.0.1:9/v1",
      OPENAI_API_KEY: SECRET_KEY,
      OPENAI_MODEL: "qwen2.5",
    });
    const api = await serve();
    const text = await (await fetch(`${api.url}/models`)).text();
    expect(JSON.parse(text)).toEqual({
      default: "qwen2.5",
      models: [{ name: "qwen2.5", kind: "completion" }],
    });
    expect(text).not.toContain(SECRET_KEY);
    expect(text).not.toContain("pass");

    setEnv({});
    expect(await (await fetch(`${api.url}/models`)).json()).toEqual({ default: null, models: [] });
  });

  test("GET /prompts lists the completion templates, bundled and overlaid, sorted, with the default", async () => {
    const dir = await promptsDir(["translate.txt", "qa.mustache", "not a name.txt", "notes.md"]);
    const api = await serve({ promptsDir: dir, defaults: { prompt_name: "qa" } });
    const response = await fetch(`${api.url}/prompts`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      default: "qa",
      prompts: ["default", "qa", "translate"],
    });
    const bundled = await serve();
    expect(await (await fetch(`${bundled.url}/prompts`)).json()).toEqual({
      default: "default",
      prompts: ["default"],
    });
  });

  test("a prompts directory that is gone is a 500 that does not name it", async () => {
    const dir = await promptsDir([]);
    const api = await serve({ promptsDir: dir });
    await rm(dir, { recursive: true });
    const response = await fetch(`${api.url}/prompts`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text).detail.code).toBe("internal");
    expect(text).not.toContain(dir);
  });

  test("HEAD answers the headers alone, OPTIONS what is allowed, other methods 405; CORS as on the completion route", async () => {
    const api = await serve({ models: REGISTRY, corsOrigins: ["http://app.test"] });
    const origin = { origin: "http://app.test" };
    for (const path of ["/models", "/prompts"]) {
      const head = await fetch(`${api.url}${path}`, { method: "HEAD", headers: origin });
      expect(head.status).toBe(200);
      expect(head.headers.get("access-control-allow-origin")).toBe("http://app.test");
      expect(await head.text()).toBe("");
      const get = await fetch(`${api.url}${path}`, { headers: { origin: "http://other.test" } });
      expect(get.headers.get("access-control-allow-origin")).toBeNull();
      const preflight = await fetch(`${api.url}${path}`, {
        method: "OPTIONS",
        headers: { ...origin, "access-control-request-headers": "authorization" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
      expect(preflight.headers.get("access-control-allow-methods")).toBe("GET, HEAD");
      expect(preflight.headers.get("access-control-allow-headers")).toBe("authorization");
      const post = await fetch(`${api.url}${path}`, { method: "POST", headers: origin });
      expect(post.status).toBe(405);
      expect(post.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
      expect(await post.text()).toBe('{"detail":"Method Not Allowed"}');
    }
  });

  test("GET / is the playground: one page whose policy allows its own inline style and script, by hash, and its own origin", async () => {
    const api = await serve({ models: REGISTRY });
    const response = await fetch(`${api.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await response.text();
    const sha = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? "";
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
    expect(script).toContain("getReader");
    expect(response.headers.get("content-security-policy")).toBe(
      `default-src 'none'; script-src ${sha(script)}; style-src ${sha(style)}; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    // Self-contained: one script and one style, no URL of any other place, nothing loaded by src.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html.match(/<style/g)).toHaveLength(1);
    expect(html).not.toMatch(/\b(?:https?:)?\/\/[a-z0-9]/i);
    expect(html).not.toMatch(/\ssrc=/);
    expect([...html.matchAll(/\shref="([^"]*)"/g)].map((match) => match[1])).toEqual(["data:,"]);
    expect(html).toContain('data-path="/other/completion"');

    const head = await fetch(`${api.url}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect((await fetch(`${api.url}/`, { method: "DELETE" })).status).toBe(405);
  });

  test("the page posts to the configured path, escaped into an attribute", async () => {
    const path = `/x"><script>alert('&')</script>`;
    const api = await serve({ path });
    const html = await (await fetch(`${api.url}/`)).text();
    expect(html).toContain(
      'data-path="/x&quot;&gt;&lt;script&gt;alert(&#39;&amp;&#39;)&lt;/script&gt;"',
    );
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  test("playground: false leaves GET / a 404 and keeps /models and /prompts", async () => {
    const api = await serve({ models: REGISTRY, playground: false });
    const page = await fetch(`${api.url}/`);
    expect(page.status).toBe(404);
    expect(await page.text()).toBe('{"detail":"Not Found"}');
    expect((await fetch(`${api.url}/models`)).status).toBe(200);
    expect((await fetch(`${api.url}/prompts`)).status).toBe(200);
  });

  test("a completion route at / wins over the page", async () => {
    const api = await serve({ models: REGISTRY, path: "/" });
    const get = await fetch(`${api.url}/`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });
});

test("the web handler answers the routes without a server, and logs each request", async () => {
  const entries: RequestLogEntry[] = [];
  const handler = createCompletionHandler({
    models: REGISTRY,
    onRequestEnd: (entry) => entries.push(entry),
  });
  const models = await handler(new Request("http://edge.test/models"));
  expect((await models.json()).default).toBe("qwen");
  const page = await handler(new Request("http://edge.test/"));
  expect(await page.text()).toContain("<title>completion-chain playground</title>");
  expect(entries.map(({ method, path, status }) => `${method} ${path} ${status}`)).toEqual([
    "GET /models 200",
    "GET / 200",
  ]);
});
