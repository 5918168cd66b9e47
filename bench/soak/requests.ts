/**
 * The soak run's mixed requests: eight kinds of `POST /other/completion` (answers streamed and
 * whole, clients that leave mid-stream, bodies the endpoint must refuse, upstream failures before
 * and after the first token), each with the outcomes it may have per endpoint, and a `fetch` +
 * eventsource-parser client that classifies what came back.
 *
 * @packageDocumentation
 */

import { createParser } from "eventsource-parser";
import { describeError } from "../shared/describe-error.js";
import { MODEL_ID } from "../subjects/request-settings.js";
import { expectedText, type Workload, workloadPrompt } from "../upstream/workload.js";
import type { SoakEndpointId } from "./protocol.js";

/** What a client saw. `cut`: the body broke off; `error`: an `event: error` frame came. */
export interface Outcome {
  status: number;
  text: string;
  events: number;
  error: boolean;
  cut: boolean;
}

/** Why an outcome is not the one expected, or `undefined` when it is. */
type Check = (outcome: Outcome) => string | undefined;

/** One kind of request. */
export interface SoakKind {
  id: string;
  /** The raw request body. */
  body: string;
  /** Abort after the first event, as a browser tab closed mid-answer. */
  leave?: boolean;
  /** What each endpoint must answer. */
  expect: Record<SoakEndpointId, Check>;
}

const SHORT: Workload = { tokens: 20, delayMs: 0 };
const SHORT_TEXT = expectedText(SHORT);

const body = (workload: Workload, fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    query: workloadPrompt(workload),
    model_name: MODEL_ID.completion,
    stream: true,
    ...fields,
  });

const describe = (o: Outcome) =>
  `HTTP ${o.status}, ${o.events} events, ${o.text.length} chars${o.error ? ", event: error" : ""}${o.cut ? ", cut off" : ""}`;

/** A 200 whose events add up to the short answer, with no error and no cut. */
const whole: Check = (o) =>
  o.status === 200 && !o.error && !o.cut && o.text === SHORT_TEXT
    ? undefined
    : `expected the whole answer, got ${describe(o)}`;

/** A 200 ending in an `event: error` frame: ours, when the upstream fails after the headers. */
const errorFrame: Check = (o) =>
  o.status === 200 && o.error
    ? undefined
    : `expected a 200 ending in event: error, got ${describe(o)}`;

/** A 200 that breaks off: the floor, which has no error frame, when the upstream fails. */
const cutOff: Check = (o) =>
  o.status === 200 && o.cut ? undefined : `expected a 200 that breaks off, got ${describe(o)}`;

/**
 * The connection reset with no response at all: the floor, when the upstream fails before its
 * first token. It has called `writeHead`, but nothing has flushed the headers when it destroys
 * the response.
 */
const reset: Check = (o) =>
  o.status === 0 && o.cut ? undefined : `expected the connection reset, got ${describe(o)}`;

const status =
  (expected: number): Check =>
  (o) =>
    o.status === expected ? undefined : `expected HTTP ${expected}, got ${describe(o)}`;

const both = (check: Check) => ({ ours: check, floor: check });

/**
 * The kinds. Every twelve requests of the mix (`CYCLE`) hold two streamed answers and three whole
 * ones, two clients that leave, two refused bodies, and three upstream failures: a 500, a drop
 * before the first token, a drop after the third.
 */
const KINDS = {
  stream: { id: "stream", body: body(SHORT), expect: both(whole) },
  whole: { id: "stream: false", body: body(SHORT, { stream: false }), expect: both(whole) },
  leave: {
    id: "client leaves mid-stream",
    // The first token at once, then a minute per token: the answer is still running when the
    // client goes, so the endpoint must abort its upstream request.
    body: body({ tokens: 50, delayMs: 0, stallMs: 60_000 }),
    leave: true,
    expect: both((o) => (o.status === 200 && o.events >= 1 ? undefined : `got ${describe(o)}`)),
  },
  // The floor validates nothing: the temperature goes upstream, which answers anyway.
  temperature: {
    id: "temperature 3",
    body: body(SHORT, { temperature: 3 }),
    expect: { ours: status(422), floor: whole },
  },
  notJson: {
    id: "body not JSON",
    body: '{"query": "x", "stream": tru',
    expect: { ours: status(422), floor: status(400) },
  },
  upstream500: {
    id: "upstream 500",
    body: body({ ...SHORT, status: 500 }),
    expect: both(status(502)),
  },
  drop0: {
    id: "upstream drops before a token",
    body: body({ ...SHORT, dropAfter: 0 }),
    expect: { ours: status(502), floor: reset },
  },
  dropMid: {
    id: "upstream drops mid-stream",
    body: body({ ...SHORT, dropAfter: 3 }),
    expect: { ours: errorFrame, floor: cutOff },
  },
} satisfies Record<string, SoakKind>;

const CYCLE: readonly SoakKind[] = [
  KINDS.stream,
  KINDS.whole,
  KINDS.leave,
  KINDS.temperature,
  KINDS.stream,
  KINDS.upstream500,
  KINDS.whole,
  KINDS.notJson,
  KINDS.leave,
  KINDS.dropMid,
  KINDS.drop0,
  KINDS.whole,
];

/** The names of the kinds, in the order they first come in the mix. */
export const SOAK_KIND_IDS: readonly string[] = [...new Set(CYCLE.map((kind) => kind.id))];

/** Request `index` of the soak run: the kinds interleaved, in a fixed order. */
export function soakKindAt(index: number): SoakKind {
  return CYCLE[index % CYCLE.length] as SoakKind;
}

/**
 * Sends one request of `kind` to the endpoint at `baseURL` and reports what came back. Never
 * throws for what the endpoint does: a failed connection is status 0 and `cut`.
 *
 * @example
 * ```ts
 * const outcome = await sendSoakRequest(endpoint.url, soakKindAt(0));
 * ```
 */
export async function sendSoakRequest(baseURL: string, kind: SoakKind): Promise<Outcome> {
  const outcome: Outcome = { status: 0, text: "", events: 0, error: false, cut: false };
  const controller = new AbortController();
  try {
    const response = await fetch(`${baseURL}/other/completion`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: kind.body,
      signal: controller.signal,
    });
    outcome.status = response.status;
    if (response.status !== 200 || response.body === null) {
      await response.arrayBuffer();
      return outcome;
    }
    const parser = createParser({
      onEvent(event) {
        if (event.event === "error") outcome.error = true;
        else outcome.text += event.data;
        outcome.events += 1;
      },
    });
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      parser.feed(decoder.decode(read.value, { stream: true }));
      if (kind.leave && outcome.events > 0) {
        controller.abort();
        break;
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) {
      outcome.cut = true;
      if (outcome.status === 0) outcome.text = describeError(error);
    }
  }
  return outcome;
}
