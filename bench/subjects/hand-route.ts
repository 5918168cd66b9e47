/**
 * What the two hand-written comparison endpoints (the floor and the raw-openai route) share: the
 * body fields they read, the event-stream headers they send, and reading the JSON body. Each keeps
 * its own request handling, which is what it is there to measure.
 */
import type { IncomingMessage } from "node:http";

/** The body fields a hand-written route reads; anything else is ignored. */
export interface RouteBody {
  query?: string;
  model_name?: string | null;
  stream?: boolean;
  temperature?: number;
  max_tokens?: number | null;
}

/** The event-stream headers, written by hand as a user's route would (the library's are not exported). */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};

/** The request's body, parsed as JSON (throws on a bad one). */
export async function readJson(req: IncomingMessage): Promise<RouteBody> {
  let raw = "";
  req.setEncoding("utf8");
  for await (const chunk of req) raw += chunk;
  return JSON.parse(raw) as RouteBody;
}

/** The running endpoint server of either. */
export interface EndpointServer {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}
