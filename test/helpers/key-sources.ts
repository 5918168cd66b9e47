/**
 * Where the key comes from, for the secrets-*.test.ts files: each way a caller can give a key and
 * an endpoint, as options for `completion()` and a model for `createCompletionChain()`.
 */
import { ChatOpenAI, OpenAI } from "@langchain/openai";
import { initChatModel } from "langchain/chat_models/universal";
import {
  buildRegisteredModel,
  type CompletionOptions,
  type createCompletionChain,
} from "../../src/index.js";
import { setEnv } from "./env.js";
import type { Source } from "./secret-failures.js";

export const SOURCES: readonly Source[] = [
  "environment",
  "registry",
  "code",
  "provider string",
  "initChatModel",
];
/** The sources whose models the library builds itself (so it owns their SDK's logger too). */
export const LIBRARY_BUILT: readonly Source[] = ["environment", "registry", "provider string"];

export interface Target {
  /** What `completion()` is given besides `query`. */
  options: Pick<CompletionOptions, "model" | "models">;
  /** A model instance holding the same key, for `createCompletionChain()`. */
  chainModel: () => Promise<NonNullable<Parameters<typeof createCompletionChain>[0]["model"]>>;
}

const SETTINGS = { temperature: 0.7, maxTokens: 1024 };

/**
 * The key `key` for the endpoint `baseURL`, given the way `source` gives it. The environment and
 * provider strings set `OPENAI_API_KEY`/`OPENAI_BASE_URL` (restored after the test).
 */
export async function targetFor(
  source: Source,
  key: string,
  baseURL: string,
  chat: boolean,
): Promise<Target> {
  const name = chat ? "gpt-4o-mini" : "gpt-3.5-turbo-instruct";
  const instance = (fields: Record<string, unknown>) =>
    chat
      ? new ChatOpenAI({ model: name, maxRetries: 0, ...fields })
      : new OpenAI({ model: name, maxRetries: 0, ...fields });
  switch (source) {
    case "environment": {
      setEnv({ OPENAI_API_KEY: key, OPENAI_BASE_URL: baseURL });
      return {
        options: { model: name },
        chainModel: async () => instance({ configuration: { baseURL } }),
      };
    }
    case "registry": {
      setEnv({});
      const models = {
        m: { kind: chat ? ("chat" as const) : ("completion" as const), baseURL, apiKey: key },
      };
      const entry = { m: { ...models.m, maxRetries: 0 } };
      return {
        options: { model: "m", models: entry },
        chainModel: async () => buildRegisteredModel("m", SETTINGS, { models: entry, env: {} }),
      };
    }
    case "code": {
      setEnv({});
      const model = instance({ apiKey: key, configuration: { baseURL } });
      return { options: { model }, chainModel: async () => model };
    }
    case "provider string": {
      setEnv({ OPENAI_API_KEY: key, OPENAI_BASE_URL: baseURL });
      return {
        options: { model: "openai:gpt-4o-mini" },
        chainModel: async () => initChatModel("openai:gpt-4o-mini", { maxRetries: 0 }),
      };
    }
    case "initChatModel": {
      setEnv({});
      const model = await initChatModel("gpt-4o-mini", {
        modelProvider: "openai",
        apiKey: key,
        configuration: { baseURL },
        maxRetries: 0,
      });
      return { options: { model }, chainModel: async () => model };
    }
  }
}
