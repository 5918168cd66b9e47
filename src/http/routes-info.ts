/**
 * The read-only routes beside the completion endpoint: `GET /models` and `GET /prompts` (what a
 * client may name) and `GET /`, the playground page.
 *
 * @packageDocumentation
 */

import { DEFAULT_PROMPT_NAME } from "../defaults.js";
import { defaultKind, type ModelKind, registryOf } from "../models.js";
import { listPromptTemplates } from "../prompts.js";
import type { CompletionHandlerOptions } from "./handler-options.js";
import { playgroundResponse } from "./playground-page.js";
import { json } from "./responses.js";

/** One entry of `GET /models`: a name a client may send as `model_name`, and its endpoint kind. */
interface ModelListing {
  name: string;
  kind: ModelKind;
}

const ALLOW = "GET, HEAD, OPTIONS";

/**
 * What `GET /models` answers: the names `model_name` may take, the default first, then registry
 * order. Names and kinds only — never a `baseURL`, an `apiKey` or anything else of an entry.
 */
export function modelListing(options: CompletionHandlerOptions): {
  default: string | null;
  models: ModelListing[];
} {
  // The lookup the completion route checks `model_name` against (run-options.ts): with no
  // registry, the one OPENAI_BASE_URL/OPENAI_API_KEY endpoint's model, or nothing.
  const { models } = registryOf({ models: options.models });
  const names = Object.keys(models);
  const wanted = options.defaults?.model_name ?? names[0];
  const chosen = wanted !== undefined && wanted !== null && names.includes(wanted) ? wanted : null;
  const ordered = chosen === null ? names : [chosen, ...names.filter((n) => n !== chosen)];
  return {
    default: chosen,
    models: ordered.map((name) => {
      const entry = models[name] ?? {};
      return { name, kind: entry.kind ?? defaultKind(entry.model ?? name) };
    }),
  };
}

/** What `GET /prompts` answers: the template names of category "completion", and the default. */
export async function promptListing(
  options: CompletionHandlerOptions,
): Promise<{ default: string | null; prompts: string[] }> {
  const prompts = await listPromptTemplates({ promptsDir: options.promptsDir });
  const wanted = options.defaults?.prompt_name ?? DEFAULT_PROMPT_NAME;
  return { default: prompts.includes(wanted) ? wanted : null, prompts };
}

/** The body of a GET on one of the JSON routes. */
async function listingBody(path: string, options: CompletionHandlerOptions): Promise<Response> {
  if (path === "/models") return json(200, JSON.stringify(modelListing(options)));
  try {
    return json(200, JSON.stringify(await promptListing(options)));
  } catch {
    // A promptsDir that is gone, or a runtime with no file system: the operator's problem, and
    // the client is not told the server's paths.
    const detail = { code: "internal", message: "The prompt templates cannot be listed" };
    return json(500, JSON.stringify({ detail }));
  }
}

/**
 * The response for `/`, `/models` or `/prompts`, or `undefined` for any other path (and for `/`
 * when the playground is switched off). GET and HEAD answer; OPTIONS says what is allowed (with
 * CORS preflight headers when the origin is allowed); other methods get 405.
 *
 * @param request - the request
 * @param path - its URL's pathname
 * @param options - the handler's options (registry, prompts, defaults, `playground`, `path`)
 * @param cors - the CORS headers this request gets
 * @param route - the completion route, which the page posts to
 * @internal
 */
export async function infoResponse(
  request: Request,
  path: string,
  options: CompletionHandlerOptions,
  cors: Record<string, string>,
  route: string,
): Promise<Response | undefined> {
  const page = path === "/" && options.playground !== false;
  if (!page && path !== "/models" && path !== "/prompts") return undefined;
  const { method } = request;
  if (method === "OPTIONS") {
    const preflight =
      Object.keys(cors).length === 0 || page
        ? {}
        : {
            ...cors,
            "access-control-allow-methods": "GET, HEAD",
            "access-control-allow-headers":
              request.headers.get("access-control-request-headers") ?? "content-type",
            "access-control-max-age": "600",
          };
    return new Response(null, { status: 204, headers: { allow: ALLOW, ...preflight } });
  }
  if (method !== "GET" && method !== "HEAD") {
    return json(405, '{"detail":"Method Not Allowed"}', { ...(page ? {} : cors), allow: ALLOW });
  }
  const response = page ? await playgroundResponse(route) : await listingBody(path, options);
  const headers = new Headers(response.headers);
  if (!page) for (const [name, value] of Object.entries(cors)) headers.set(name, value);
  // HEAD: the same headers, no body.
  const body = method === "HEAD" ? null : response.body;
  return new Response(body, { status: response.status, headers });
}
