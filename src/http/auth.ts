/**
 * Bearer-key authentication for the handler: which requests need a key, how a presented key is
 * compared with the configured ones, and the 401 the others get.
 *
 * @packageDocumentation
 */

import { CompletionError } from "../errors.js";
import { json } from "./responses.js";

/** Checks a request's `Authorization` header; resolves `true` when it carries a configured key. */
export type BearerCheck = (request: Request) => Promise<boolean>;

/**
 * What an HTTP header carries unchanged: visible ASCII, no spaces. A key with whitespace is cut
 * or trimmed by clients and proxies, control characters are refused by `fetch`, and non-ASCII is
 * sent as UTF-8 but read back as Latin-1 — any of these would be a key that can never match.
 */
const KEY_CHARACTERS = /^[\x21-\x7e]+$/;

/**
 * True for a key a client can send: non-empty visible ASCII, no spaces or control characters.
 *
 * @param key - a configured key
 */
export function isUsableApiKey(key: unknown): boolean {
  return typeof key === "string" && KEY_CHARACTERS.test(key);
}

/**
 * RFC 6750 §2.1: `Bearer` (case-insensitive, RFC 9110 §11.1), one or more spaces, the token.
 * Anything else — another scheme, two keys joined by a repeated header — is no key.
 */
const BEARER = /^bearer +(\S+)$/i;

/**
 * Requests that need no key: `GET|HEAD /health` (probes of load balancers and orchestrators carry
 * none), `GET|HEAD /` (the playground page: a browser's navigation sends no `Authorization`
 * header, the page holds nothing secret and sends the key on its own API calls, as llama-server's
 * web UI does) and every `OPTIONS` (CORS preflights are sent without credentials, and an `OPTIONS`
 * answer does no work).
 */
function isOpen(request: Request, path: string): boolean {
  if (request.method === "OPTIONS") return true;
  const read = request.method === "GET" || request.method === "HEAD";
  return read && (path === "/health" || path === "/");
}

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/**
 * Checks `keys` (empty or holding whitespace, control or non-ASCII characters is refused) and
 * returns the check for requests, or `undefined` when there are no keys (no authentication).
 *
 * Constant time, portably: this file runs on edge runtimes, so `node:crypto.timingSafeEqual` is
 * out. Both the presented key and each configured one are hashed with SHA-256 (`crypto.subtle`,
 * global in Node 20+, browsers, Deno, Bun and edge runtimes) and the fixed-length digests are
 * compared by XOR-accumulating every byte, against every configured key, without an early exit or
 * a data-dependent branch. JavaScript promises no constant-time execution, but what a timing
 * difference could still reveal is how far a guess's *digest* matches a key's digest — and a
 * client cannot steer a digest byte by byte, so it learns nothing usable about the key (the same
 * argument as the double-HMAC comparison). Hashing also hides the keys' lengths. The configured
 * digests are computed once, here.
 *
 * @param keys - the accepted keys (`apiKeys`)
 * @param option - the option's name for the error, e.g. `"apiKeys"`
 * @throws CompletionError `invalid_options` naming the option and the key's position, never its value
 * @example
 * ```ts
 * const check = bearerCheck(["k1", "k2"]);
 * ```
 */
export function bearerCheck(
  keys: readonly string[] | undefined,
  option = "apiKeys",
): BearerCheck | undefined {
  if (keys === undefined) return undefined;
  if (!Array.isArray(keys)) {
    const message = `${option} must be an array of strings`;
    throw new CompletionError("invalid_options", message, {
      issues: [{ path: [option], message }],
    });
  }
  if (keys.length === 0) return undefined;
  keys.forEach((key, index) => {
    if (!isUsableApiKey(key)) {
      const message = `${option}[${index}] must be a non-empty string of visible ASCII characters (no spaces or control characters)`;
      throw new CompletionError("invalid_options", message, {
        issues: [{ path: [option, index], message }],
      });
    }
  });
  const configured = Promise.all(keys.map(digest));
  // Nothing awaits it before the first request; digest() of bytes cannot fail, but an unhandled
  // rejection must never be possible.
  configured.catch(() => {});
  return async (request) => {
    const presented = BEARER.exec(request.headers.get("authorization") ?? "")?.[1];
    if (presented === undefined) return false;
    const [guess, accepted] = await Promise.all([digest(presented), configured]);
    let matched = 0;
    for (const key of accepted) {
      let difference = 0;
      for (let index = 0; index < key.length; index += 1) {
        difference |= (key[index] as number) ^ (guess[index] as number);
      }
      // 1 when difference is 0, else 0 (difference is 0..255), without a branch.
      matched |= (difference - 1) >>> 31;
    }
    return matched === 1;
  };
}

/**
 * The 401 for a request without a configured key, or `undefined` when `request` may pass: it
 * needs no key, or carries one. Never echoes what the client sent.
 *
 * @param check - from {@link bearerCheck}
 * @param path - the request URL's path
 * @param cors - the CORS headers for the request, so a page can read the 401
 */
export async function refuseUnauthenticated(
  check: BearerCheck,
  request: Request,
  path: string,
  cors: Record<string, string>,
): Promise<Response | undefined> {
  if (isOpen(request, path) || (await check(request))) return undefined;
  const challenge = request.headers.has("authorization")
    ? 'Bearer error="invalid_token"'
    : "Bearer";
  return json(401, '{"detail":"Missing or invalid API key"}', {
    ...cors,
    "www-authenticate": challenge,
  });
}
