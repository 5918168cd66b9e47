import { describe, expect, test } from "vitest";
import { isCompletionError } from "../src/index.js";
import { setEnv } from "./helpers/env.js";
import { sleep } from "./helpers/fixtures.js";
import { hostileUpstream } from "./helpers/hostile-upstream.js";
import { endpoint, post, TRANSPORTS, type Transport } from "./helpers/http.js";
import { abortAfterNextToken, CASES, endpointFor, keyFor } from "./helpers/secret-failures.js";
import { consoleLines, KEYS, leaks, printedForms } from "./helpers/secret-leaks.js";

// ---------------------------------------------------------------------------------------------
// Over HTTP: the response body and the access log.

type HttpSource = "environment" | "registry";

async function serveFor(
  source: HttpSource,
  transport: Transport,
  key: string,
  baseURL: string,
  chat: boolean,
  lines: string[],
  timeoutMs?: number,
) {
  const common = {
    transport,
    log: (line: string) => lines.push(line),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
  if (source === "environment") {
    setEnv({
      OPENAI_API_KEY: key,
      OPENAI_BASE_URL: baseURL,
      OPENAI_MODEL: chat ? "gpt-4o-mini" : "gpt-3.5-turbo-instruct",
    });
    return endpoint(common);
  }
  setEnv({});
  const kind = chat ? ("chat" as const) : ("completion" as const);
  return endpoint({ ...common, models: { m: { kind, baseURL, apiKey: key, maxRetries: 0 } } });
}

/** Waits until `lines` holds a line (the log comes when the response ends or is abandoned). */
async function logged(lines: string[]): Promise<void> {
  while (lines.length === 0) await sleep(5);
}

/**
 * Serves a chat model with `key` and `baseURL` from `source` over `transport`, POSTs one query and
 * closes the endpoint: the response's status, and all that was printed (the body, the access log
 * lines, the console).
 */
async function answerFor(
  source: HttpSource,
  transport: Transport,
  key: string,
  baseURL: string,
  stream = true,
) {
  const lines: string[] = [];
  const api = await serveFor(source, transport, key, baseURL, true, lines);
  const response = await post(api, { query: "q", stream });
  const body = await response.text();
  await logged(lines);
  const printed = [body, ...lines, ...consoleLines];
  await api.close();
  return { status: response.status, printed };
}

describe("over HTTP, the API key appears in no response body and no log line", () => {
  test.each(CASES)(
    "$what: every response and log line is clean, for both transports and both stream modes",
    async (failure) => {
      const { baseURL, hostile } = await endpointFor(failure);
      for (const [sourceIndex, source] of (["environment", "registry"] as const).entries()) {
        const { key, chat } = keyFor(failure, sourceIndex);
        for (const transport of TRANSPORTS) {
          for (const stream of [true, false]) {
            const lines: string[] = [];
            const api = await serveFor(
              source,
              transport,
              key,
              baseURL,
              chat,
              lines,
              failure.timeout,
            );
            const where = `${source} key ${JSON.stringify(key)}, ${transport}, stream: ${stream}`;
            let body = "";
            if (failure.abort && hostile !== undefined) {
              // The client goes away once the first token is out.
              const controller = new AbortController();
              abortAfterNextToken(hostile, controller);
              try {
                const response = await fetch(`${api.url}/other/completion`, {
                  method: "POST",
                  headers: { "content-type": "application/json" },
                  body: JSON.stringify({ query: "q", stream }),
                  signal: controller.signal,
                });
                body = await response.text();
              } catch {
                // aborted, as intended
              }
            } else {
              const response = await post(api, { query: "q", stream });
              body = await response.text();
              expect(response.status, where).not.toBe(500);
              expect(body, where).toContain(failure.code);
            }
            await logged(lines);
            expect.soft(leaks([body], key), `${where}: body`).toEqual([]);
            expect.soft(leaks(lines, key), `${where}: log`).toEqual([]);
            expect.soft(leaks(consoleLines, key), `${where}: console`).toEqual([]);
            await api.close();
          }
        }
      }
    },
  );

  test("a baseURL with user:password@ is refused without its password in the response or the log", async () => {
    const hostile = await hostileUpstream("status401");
    const password = "hunter2-9d8c7b6a5f";
    const baseURL = hostile.url.replace("http://", `http://deploy:${password}@`);
    for (const source of ["environment", "registry"] as const) {
      for (const transport of TRANSPORTS) {
        if (source === "registry") {
          // A registry is checked when the handler is made: the operator hears of it at startup.
          const made = await serveFor(source, transport, KEYS[0], baseURL, true, []).then(
            () => undefined,
            (error: unknown) => error,
          );
          expect(isCompletionError(made) && made.code, transport).toBe("invalid_options");
          expect.soft(leaks(printedForms(made), password), transport).toEqual([]);
          continue;
        }
        const { status, printed } = await answerFor(source, transport, KEYS[0], baseURL);
        const where = `${source}, ${transport}`;
        expect(status, where).not.toBe(200);
        expect.soft(leaks(printed, password), where).toEqual([]);
        expect.soft(leaks(printed, KEYS[0]), where).toEqual([]);
      }
    }
    expect(hostile.authorizations).toEqual([]);
  });

  test("a key read from a file with its trailing newline is in no response body or log line", async () => {
    const key = "litellm-master-4b9e1d7c3a2f\n";
    const hostile = await hostileUpstream("status401");
    for (const source of ["environment", "registry"] as const) {
      for (const transport of TRANSPORTS) {
        for (const stream of [true, false]) {
          const { status, printed } = await answerFor(source, transport, key, hostile.url, stream);
          const where = `${source}, ${transport}, stream: ${stream}`;
          expect.soft(status, where).toBe(502);
          expect.soft(leaks(printed, key), where).toEqual([]);
        }
      }
    }
    expect(hostile.authorizations).toContain("Bearer litellm-master-4b9e1d7c3a2f");
  });

  test("a key holding a newline fails the request without the key in the response or the log", async () => {
    const key = "local-proxy-key-7f3a\n9c2e51";
    const hostile = await hostileUpstream("status401");
    for (const source of ["environment", "registry"] as const) {
      for (const transport of TRANSPORTS) {
        const { status, printed } = await answerFor(source, transport, key, hostile.url);
        const where = `${source}, ${transport}`;
        expect(status, where).not.toBe(200);
        expect.soft(leaks(printed, key), where).toEqual([]);
      }
    }
  });
});
