import { usageError } from "./cli-error.js";

/**
 * Checks an endpoint URL from the command line, the environment or a config file: an `http(s)`
 * URL without `user:password@`. The URL is never repeated in the message — when it is wrong it may
 * well be a key pasted into the wrong place.
 *
 * @param url - the URL as given
 * @param where - what gave it, e.g. `--base-url` or `--config models.json: models.local.baseURL`
 * @param keyHint - where the key belongs instead, e.g. `put the key in "apiKey"`
 * @throws CliError (exit 2)
 * @example
 * ```ts
 * checkBaseURL("http://127.0.0.1:8000/v1", "--base-url", "set OPENAI_API_KEY"); // passes
 * ```
 */
export function checkBaseURL(url: string, where: string, keyHint: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    usageError(`${where} is not a URL; expected one like http://127.0.0.1:8000/v1`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    usageError(`${where} must be an http:// or https:// URL, like http://127.0.0.1:8000/v1`);
  // fetch refuses such URLs anyway, and a key there is printed by anything that prints the URL.
  if (parsed.username !== "" || parsed.password !== "")
    usageError(`${where} holds credentials (user:password@…); ${keyHint} instead`);
}
