/**
 * What one request costs an endpoint once, apart from its tokens: sequential two-token streams
 * through each endpoint, the client in this process (the same `node:http` client for all), the
 * upstream in its child. When hundreds of requests arrive within a second, this per-request cost
 * is what first tokens queue behind (README, "Speed"); per-token cost is the concurrency part's.
 *
 * Rounds are interleaved (ours, floor, raw-openai, ours, …) so that the machine's drift lands on
 * every endpoint alike; each round starts with unmeasured requests to warm the path.
 *
 * @packageDocumentation
 */

import { Agent, request } from "node:http";
import { ENDPOINT_LABELS, type EndpointId } from "../concurrency/measure.js";
import { type Spread, spread } from "../shared/stats.js";
import { MODEL_ID } from "../subjects/request-settings.js";
import { workloadPrompt } from "../upstream/workload.js";

/** How many requests, in how many rounds. */
export interface RequestCostConfig {
  rounds: number;
  /** Measured requests per endpoint per round. */
  requests: number;
  /** Unmeasured requests before them. */
  warmup: number;
}

/** One round of one endpoint: CPU µs of this process per request. */
export interface RequestCostSample {
  endpoint: EndpointId;
  round: number;
  cpuUsPerRequest: number;
}

/** An endpoint's median over the rounds. */
export interface RequestCostFigures {
  endpoint: EndpointId;
  cpuUsPerRequest: Spread;
}

const TOKENS = 2;

function post(url: string, agent: Agent, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let bytes = 0;
        res.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on("end", () =>
          res.statusCode === 200 ? resolve(bytes) : reject(statusError(res.statusCode)),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function statusError(status: number | undefined): Error {
  return new Error(`HTTP ${status}`);
}

/**
 * Measures every endpoint in `urls`, interleaved.
 *
 * @param failures - a failed request is recorded here and ends that endpoint's round
 */
export async function measureRequestCost(
  config: RequestCostConfig,
  urls: Partial<Record<EndpointId, string>>,
  failures: string[],
): Promise<RequestCostSample[]> {
  const body = JSON.stringify({
    query: workloadPrompt({ tokens: TOKENS, delayMs: 0 }),
    stream: true,
    model_name: MODEL_ID.completion,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples: RequestCostSample[] = [];
  try {
    for (let round = 0; round < config.rounds; round++) {
      for (const [endpoint, base] of Object.entries(urls) as [EndpointId, string][]) {
        const url = `${base}/other/completion`;
        try {
          for (let i = 0; i < config.warmup; i++) await post(url, agent, body);
          const start = process.cpuUsage();
          for (let i = 0; i < config.requests; i++) await post(url, agent, body);
          const used = process.cpuUsage(start);
          samples.push({
            endpoint,
            round,
            cpuUsPerRequest: (used.user + used.system) / config.requests,
          });
        } catch (error) {
          failures.push(`requests, ${ENDPOINT_LABELS[endpoint]}: ${(error as Error).message}`);
        }
      }
    }
  } finally {
    agent.destroy();
  }
  return samples;
}

/** Medians per endpoint. */
export function summariseRequestCost(samples: readonly RequestCostSample[]): RequestCostFigures[] {
  const ids = [...new Set(samples.map((s) => s.endpoint))];
  return ids.map((endpoint) => ({
    endpoint,
    cpuUsPerRequest: spread(
      samples.filter((s) => s.endpoint === endpoint).map((s) => s.cpuUsPerRequest),
    ),
  }));
}
