/**
 * The request id: the client's `x-request-id` when it is a sane token, else a fresh UUID. Returned
 * on every response and logged, so that one request can be followed from a proxy's log to ours.
 *
 * @packageDocumentation
 */

/** The header that carries it, both ways (nginx's `$request_id`, Heroku's and Envoy's name). */
export const REQUEST_ID_HEADER = "x-request-id";

// Visible ASCII only and bounded: the id goes into log lines and a response header, so a client
// must not be able to inject a line break, a quote-breaking control character or a kilobyte.
const SANE_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The id of `request`: its `x-request-id` if that is 1–128 visible ASCII characters, else a new
 * random UUID.
 *
 * @param request - the incoming request
 */
export function requestIdOf(request: Request): string {
  const given = request.headers.get(REQUEST_ID_HEADER);
  return given !== null && SANE_ID.test(given) ? given : crypto.randomUUID();
}
