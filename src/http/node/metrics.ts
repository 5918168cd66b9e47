import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { COMPLETION_PATH } from "../../defaults.js";
import type { CompletionErrorCode } from "../../errors.js";
import type { RequestLogEntry } from "../handler-options.js";

/** Options of {@link createCompletionMetrics}. */
export interface CompletionMetricsOptions {
  /** The completion route, as given to the handler's `path`. @defaultValue `"/other/completion"` */
  path?: string;
  /**
   * A registry to add the metrics to, e.g. your application's own, to serve both on one
   * `/metrics`. Its metric names must not already be taken (a second set in one registry throws).
   * @defaultValue a new `Registry` of its own — never prom-client's global default registry
   */
  registry?: Registry;
}

/**
 * The endpoint's Prometheus metrics: one registry, fed once per request from its
 * {@link RequestLogEntry} — nothing is recorded per token.
 */
export interface CompletionMetrics {
  /** Where the metrics live (prom-client's `Registry`): `metrics()`, `getMetricsAsJSON()`, `contentType`. */
  readonly registry: Registry;
  /**
   * Call when a request arrives, before the handler sees it: a `POST` to the completion route is
   * counted in `completion_chain_streams_in_flight` until its {@link CompletionMetrics.requestEnded}.
   */
  requestStarted(request: Request): void;
  /** Call with each `onRequestEnd` entry (exactly once per request given to `requestStarted`). */
  requestEnded(entry: RequestLogEntry): void;
  /** Answers a scrape: the registry in Prometheus' text format (`HEAD`: the headers alone). */
  respond(request: Request): Promise<Response>;
}

/** Routes named as themselves in the `route` label; any other path is `other`. */
const KNOWN_ROUTES = ["/health", "/models", "/prompts", "/metrics", "/"];
/** Methods named as themselves in the `method` label; any other is `other`. */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"]);
/** Created at zero, so that a rate over them exists before the first one happens. */
const DISCONNECT_REASONS = ["client_closed", "client_timeout"];
const UPSTREAM_CODES: readonly Extract<CompletionErrorCode, `upstream_${string}`>[] = [
  "upstream_unavailable",
  "upstream_error",
  "upstream_malformed",
  "upstream_incomplete",
  "upstream_timeout",
];
/** Seconds to a model's first token: from a warm small model to a long prompt on a busy server. */
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Seconds a completion request takes, up to long answers streamed for minutes. */
const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * Makes the endpoint's Prometheus metrics (prom-client), as `serveCompletion` serves them on
 * `GET /metrics`. For `createCompletionHandler` in a server of your own: call
 * `requestStarted` as each request arrives, `requestEnded` from `onRequestEnd`, and answer your
 * scrape route with `respond`.
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `completion_chain_requests_total` | counter | `route` (a known route, else `other`), `method`, `status`, `code` (error code, else `none`) |
 * | `completion_chain_streams_in_flight` | gauge | — |
 * | `completion_chain_time_to_first_token_seconds` | histogram | — |
 * | `completion_chain_request_duration_seconds` | histogram | — |
 * | `completion_chain_tokens_total` | counter | — |
 * | `completion_chain_client_disconnects_total` | counter | `reason` (`client_closed`, `client_timeout`) |
 * | `completion_chain_upstream_errors_total` | counter | `code` (`upstream_*`) |
 *
 * Each call has its own registry, so two servers in one process count apart. The figures are one
 * process's: several processes would each send `registry.getMetricsAsJSON()` to one that merges
 * them with prom-client's `AggregatorRegistry.aggregate` (every metric here sums across processes).
 * prom-client's default process metrics are left out: their event-loop monitor and GC observer
 * cannot be stopped.
 *
 * @param options - the completion route; a registry to add to
 * @example
 * ```ts
 * const metrics = createCompletionMetrics();
 * const handler = createCompletionHandler({ onRequestEnd: (entry) => metrics.requestEnded(entry) });
 * const fetch = (request: Request) => {
 *   if (new URL(request.url).pathname === "/metrics") return metrics.respond(request);
 *   metrics.requestStarted(request);
 *   return handler(request);
 * };
 * ```
 */
export function createCompletionMetrics(options: CompletionMetricsOptions = {}): CompletionMetrics {
  const completionPath = options.path ?? COMPLETION_PATH;
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  const known = new Set([completionPath, ...KNOWN_ROUTES]);

  const requests = new Counter({
    name: "completion_chain_requests_total",
    help: 'HTTP requests answered, by route (a known route, else "other"), method, status and error code ("none" when none).',
    labelNames: ["route", "method", "status", "code"] as const,
    registers,
  });
  const inFlight = new Gauge({
    name: "completion_chain_streams_in_flight",
    help: "Completion requests being answered now (streamed or not).",
    registers,
    aggregator: "sum",
  });
  const ttft = new Histogram({
    name: "completion_chain_time_to_first_token_seconds",
    help: "Seconds from a completion request's arrival to the model's first token.",
    buckets: TTFT_BUCKETS,
    registers,
  });
  const duration = new Histogram({
    name: "completion_chain_request_duration_seconds",
    help: "Seconds from a completion request's arrival to the end of its response.",
    buckets: DURATION_BUCKETS,
    registers,
  });
  const tokens = new Counter({
    name: "completion_chain_tokens_total",
    help: "Tokens the model produced for completion requests.",
    registers,
  });
  const disconnects = new Counter({
    name: "completion_chain_client_disconnects_total",
    help: "Completion requests whose client went away (client_closed) or took no bytes for the client timeout (client_timeout).",
    labelNames: ["reason"] as const,
    registers,
  });
  const upstreamErrors = new Counter({
    name: "completion_chain_upstream_errors_total",
    help: "Completion requests that failed on the model endpoint, by error code.",
    labelNames: ["code"] as const,
    registers,
  });
  for (const reason of DISCONNECT_REASONS) disconnects.inc({ reason }, 0);
  for (const code of UPSTREAM_CODES) upstreamErrors.inc({ code }, 0);

  const isCompletion = (method: string, path: string) =>
    method === "POST" && path === completionPath;

  return {
    registry,
    requestStarted(request) {
      if (request.method === "POST" && new URL(request.url).pathname === completionPath) {
        inFlight.inc();
      }
    },
    requestEnded(entry) {
      const { method, path, error } = entry;
      requests.inc({
        // Never the raw path or method: a scanner's requests would each add a series.
        route: known.has(path) ? path : "other",
        method: KNOWN_METHODS.has(method) ? method : "other",
        status: String(entry.status),
        code: error ?? "none",
      });
      if (!isCompletion(method, path)) return;
      inFlight.dec();
      duration.observe(entry.durationMs / 1000);
      if (entry.ttftMs !== undefined) ttft.observe(entry.ttftMs / 1000);
      if (entry.tokens > 0) tokens.inc(entry.tokens);
      if (error === undefined) return;
      if (DISCONNECT_REASONS.includes(error)) disconnects.inc({ reason: error });
      else if (error.startsWith("upstream_")) upstreamErrors.inc({ code: error });
    },
    async respond(request) {
      const text = await registry.metrics();
      const body = request.method === "HEAD" ? null : text;
      return new Response(body, { status: 200, headers: { "content-type": registry.contentType } });
    },
  };
}
