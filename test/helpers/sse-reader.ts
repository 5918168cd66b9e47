/** Readers of the testing server's streamed bodies, for testing-server*.test.ts. */
import { createParser } from "eventsource-parser";

export interface ReadStream {
  /** `data` of every SSE event, in order. */
  events: string[];
  /** The raw network chunks as the client received them. */
  chunks: Uint8Array[];
  /** Set when reading the body failed. */
  error?: unknown;
}

/** Reads a streamed body to its end (or failure), parsing SSE with eventsource-parser. */
export async function readStream(response: Response): Promise<ReadStream> {
  const events: string[] = [];
  const chunks: Uint8Array[] = [];
  const parser = createParser({
    onEvent(event) {
      events.push(event.data);
    },
  });
  const decoder = new TextDecoder();
  const body = response.body;
  if (!body) throw new Error("response has no body");
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
    return { events, chunks };
  } catch (error) {
    return { events, chunks, error };
  }
}

// biome-ignore lint/suspicious/noExplicitAny: stream chunks are checked field by field below
export type Chunk = any;

export function jsonEvents(events: string[]): Chunk[] {
  return events.filter((data) => data !== "[DONE]").map((data) => JSON.parse(data));
}

/** The text carried by completion (`text`) or chat (`delta.content`) chunks. */
export function tokensOf(events: string[]): string[] {
  return jsonEvents(events)
    .flatMap((chunk) => chunk.choices ?? [])
    .map((choice: Chunk) => choice.text ?? choice.delta?.content ?? "")
    .filter((token: string) => token !== "");
}

/** Reads a streamed body bit by bit, so that a test can stop at a point and look at the server. */
export function streamReader(response: Response) {
  const body = response.body;
  if (!body) throw new Error("response has no body");
  const reader = body.getReader();
  const state: ReadStream & { bytes: number } = { events: [], chunks: [], bytes: 0 };
  const parser = createParser({
    onEvent(event) {
      state.events.push(event.data);
    },
  });
  const decoder = new TextDecoder();
  const until = async (done: (events: string[]) => boolean): Promise<void> => {
    while (!done(state.events)) {
      const { done: ended, value } = await reader.read();
      if (ended) return;
      state.chunks.push(value);
      state.bytes += value.byteLength;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  };
  return {
    state,
    /** Reads until `done(events)` holds or the body ends. */
    until,
    /** Reads to the end of the body or its failure. */
    async rest(): Promise<ReadStream & { bytes: number }> {
      await until(() => false).catch((error: unknown) => {
        state.error = error;
      });
      return state;
    },
  };
}

/** The raw bytes of a body as text. */
export function rawText(chunks: Uint8Array[]): string {
  return Buffer.concat(chunks).toString("utf8");
}
