/**
 * A client of `POST /other/completion` as a browser or Node app would write one: `fetch` plus
 * eventsource-parser, tokens handed over one event at a time.
 *
 * @packageDocumentation
 */

import { createParser } from "eventsource-parser";

/** One streamed request to the endpoint. */
export interface EndpointRequest {
  /** The server's base URL, e.g. `http://127.0.0.1:7861`. */
  baseURL: string;
  query: string;
  /** A registry name of the server's. */
  model: string;
  onToken: (token: string) => void;
  signal?: AbortSignal;
}

/**
 * Streams one completion from the endpoint, calling `onToken` per `data:` event.
 *
 * @throws Error on a non-200 answer or an `event: error` frame (the endpoint's way of reporting a
 * failure after the headers went out)
 */
export async function streamEndpoint(request: EndpointRequest): Promise<void> {
  const response = await fetch(`${request.baseURL}/other/completion`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: request.query, model_name: request.model, stream: true }),
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });
  if (!response.ok || response.body === null) {
    throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  }
  let failure: string | undefined;
  const parser = createParser({
    onEvent(event) {
      if (event.event === "error") failure = event.data;
      else request.onToken(event.data);
    },
  });
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      parser.feed(decoder.decode(read.value, { stream: true }));
      if (failure !== undefined) throw new Error(`the endpoint reported: ${failure}`);
    }
  } finally {
    // A throw above leaves the body unread; cancelling releases the connection at once.
    await reader.cancel().catch(() => {});
  }
}
