// LangChain's OpenAI wrappers append "\n\nTroubleshooting URL: https://…/MODEL_AUTHENTICATION/\n"
// to the message of a 401, 404 or 429 (`addLangChainErrorFields`), and core does so for a template
// it cannot parse. A CompletionError's message is one line without it, whichever door it leaves by.
import { describe, expect, test } from "vitest";
import { parsePromptTemplate } from "../src/prompts.js";
import { completion } from "../src/index.js";
import { createCompletionHandler } from "../src/http/index.js";
import { cli, oneLine } from "./helpers/cli-process.js";
import { failure, registry, upstream } from "./helpers/fixtures.js";
import { scriptedServer } from "./helpers/scripted-server.js";

const STATUSES = [401, 404, 429];

describe("error messages from LangChain are one line without its troubleshooting link", () => {
  test.each(STATUSES)(
    "an upstream %i, streamed or not, from a completions or a chat model",
    async (status) => {
      const server = await upstream({ status });
      const models = registry(server);
      for (const model of Object.keys(models)) {
        for (const stream of [true, false]) {
          const { error } = await failure(async (tokens) => {
            if (!stream) return completion({ query: "q", model, models });
            for await (const token of completion({ query: "q", model, models, stream }))
              tokens.push(token);
          });
          expect({ model, stream, code: error.code, status: error.status }).toEqual({
            model,
            stream,
            code: "upstream_error",
            status,
          });
          expect(error.message).toBe(
            `The model endpoint answered HTTP ${status}: ${status} Scripted ${status} error.`,
          );
          // The original keeps what LangChain made of it.
          expect((error.cause as Error).message).toContain("Troubleshooting URL");
        }
      }
    },
  );

  test("the HTTP endpoint's error detail for an upstream 401 is the same one line", async () => {
    const server = await upstream({ status: 401 });
    const handle = createCompletionHandler({ models: registry(server) });
    const response = await handle(
      new Request("http://127.0.0.1/other/completion", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "q" }),
      }),
    );
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      detail: {
        code: "upstream_error",
        message: "The model endpoint answered HTTP 401: 401 Scripted 401 error.",
      },
    });
  });

  test("the CLI prints an upstream 404 as one line without the link", async () => {
    const server = await upstream({ status: 404 });
    const { code, stderr } = await cli(["hi", "--base-url", server.url, "--model", "m"]).done;
    expect(code).toBe(1);
    expect(oneLine(stderr)).toBe(
      "completion-chain: The model endpoint answered HTTP 404: 404 Scripted 404 error. (upstream_error)",
    );
  });

  test("a mustache template nested past LangChain's depth limit is invalid_prompt, in one line", () => {
    const nested = `${"{{#a}}".repeat(300)}{{input}}${"{{/a}}".repeat(300)}`;
    expect(() => parsePromptTemplate(nested, "mustache")).toThrow(
      expect.objectContaining({
        code: "invalid_prompt",
        message:
          "the prompt is not a valid mustache template: Prompt template nesting exceeds maximum depth (256).",
      }),
    );
  });
});

// LangChain turns an upstream error that reads as a context overflow ("maximum context length",
// `context_length_exceeded`) into its own `ContextOverflowError`, which has no status: the 400 is on
// its `cause`. It is the endpoint's answer all the same, not a failure of ours.
test("an upstream 400 for a prompt over the context window is upstream_error with status 400, not internal", async () => {
  const server = await scriptedServer((_, request, response) => {
    request.resume();
    response.writeHead(400, { "content-type": "application/json" });
    response.end(
      JSON.stringify({
        error: {
          message:
            "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
          type: "invalid_request_error",
          param: null,
          code: "context_length_exceeded",
        },
      }),
    );
  });
  const url = server.url;
  for (const kind of ["completion", "chat"] as const) {
    const models = { m: { kind, baseURL: url, apiKey: "k", maxRetries: 0 } };
    for (const stream of [true, false]) {
      const { error } = await failure(async (tokens) => {
        if (!stream) return completion({ query: "q", model: "m", models });
        for await (const token of completion({ query: "q", model: "m", models, stream }))
          tokens.push(token);
      });
      expect({ kind, stream, code: error.code, status: error.status }).toEqual({
        kind,
        stream,
        code: "upstream_error",
        status: 400,
      });
      expect(error.message).toBe(
        "The model endpoint answered HTTP 400: 400 This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
      );
    }
  }
});
