/**
 * The upstream failures the secrets-*.test.ts files put every key through, and which
 * key and kind of model each source uses for each failure.
 */
import type { CompletionErrorCode } from "../../src/index.js";
import {
  closedPort,
  type HostileFault,
  type HostileUpstream,
  hostileUpstream,
} from "./hostile-upstream.js";
import { KEYS } from "./secret-leaks.js";

/** Where the key comes from; see SOURCES in key-sources.ts. */
export type Source = "environment" | "registry" | "code" | "provider string" | "initChatModel";

// ---------------------------------------------------------------------------------------------
// The failures.

interface Failure {
  /** How the test names it. */
  what: string;
  /** The hostile upstream's fault; `undefined` for a closed port. */
  fault: HostileFault | undefined;
  code: CompletionErrorCode;
  status?: number;
  /** Run with this `timeout`. */
  timeout?: number;
  /** Abort the caller's signal once the first token is out. */
  abort?: boolean;
  /** Sources left out, with the reason in a comment at the entry. */
  skip?: readonly Source[];
}

const TIMEOUT_MS = 300;

export const FAILURES: readonly Failure[] = [
  {
    what: "an upstream 401 whose body echoes the Authorization header",
    fault: "status401",
    code: "upstream_error",
    status: 401,
  },
  {
    what: "an upstream 500 whose body echoes the key",
    fault: "status500",
    code: "upstream_error",
    status: 500,
    // LangChain retries a 500 six times with exponential backoff (about a minute) for a model
    // built from a provider string, and completion() gives no way to lower that.
    skip: ["provider string"],
  },
  {
    what: "an upstream 429 whose body echoes the key",
    fault: "status429",
    code: "upstream_error",
    status: 429,
  },
  {
    what: "a refused connection",
    fault: undefined,
    code: "upstream_unavailable",
    // LangChain retries a connection error six times with backoff, as for a 500.
    skip: ["provider string"],
  },
  {
    what: "a malformed chunk quoting the key",
    fault: "malformed",
    code: "upstream_malformed",
  },
  { what: "an error chunk quoting the key", fault: "errorChunk", code: "upstream_error" },
  { what: "a connection dropped mid-stream", fault: "drop", code: "upstream_incomplete" },
  { what: "a stream without a finish reason", fault: "noFinish", code: "upstream_incomplete" },
  {
    what: "a stall that hits the timeout",
    fault: "stall",
    code: "upstream_timeout",
    timeout: TIMEOUT_MS,
  },
  { what: "an abort by the caller's signal", fault: "stall", code: "aborted", abort: true },
];

interface Endpoint {
  baseURL: string;
  hostile: HostileUpstream | undefined;
}

export async function endpointFor(failure: Failure): Promise<Endpoint> {
  if (failure.fault === undefined) {
    return { baseURL: `http://127.0.0.1:${await closedPort()}/v1`, hostile: undefined };
  }
  const hostile = await hostileUpstream(failure.fault);
  return { baseURL: hostile.url, hostile };
}

/** The failures with their index, from which each source picks its key and its kind of model. */
export const CASES = FAILURES.map((failure, index) => ({ ...failure, index }));

/**
 * The key and the kind of model (chat or not) the `sourceIndex`th source uses for `failure`:
 * the keys and kinds in turn, so that every key and kind meets every failure.
 */
export function keyFor(failure: { index: number }, sourceIndex: number) {
  const turn = failure.index + sourceIndex;
  return { key: KEYS[turn % KEYS.length] as string, chat: turn % 2 === 0 };
}

/** Aborts `controller` once `hostile` has sent one more token. */
export function abortAfterNextToken(hostile: HostileUpstream, controller: AbortController): void {
  const next = hostile.tokensSent() + 1;
  void hostile.waitForTokens(next).then(() => controller.abort());
}
