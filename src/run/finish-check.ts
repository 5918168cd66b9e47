/**
 * Telling a whole answer from one cut short: the finish reason the chunks carried, or the one the
 * model's run reported at its end (see {@link FinishTracker}).
 *
 * @packageDocumentation
 */

import { CompletionError } from "../errors.js";
import { finishOf } from "./chunks.js";
import type { FinishTracker } from "./finish-tracker.js";
import type { ModelStream } from "./model-stream.js";

/** Whether a model's stream ended with the finish reason it must carry. */
export class FinishCheck {
  private reason: string | undefined;
  private stream: Pick<ModelStream, "requireFinish" | "tracker"> | undefined;

  /** The stream started: whether it must end with a finish reason, where its run's end records one. */
  started(stream: Pick<ModelStream, "requireFinish" | "tracker">): void {
    this.stream = stream;
  }

  /** Notes a chunk's finish reason, if it carries one. */
  see(chunk: unknown): void {
    const reason = finishOf(chunk);
    if (reason !== undefined) this.reason = reason;
  }

  /** `upstream_incomplete` when the stream ended without the finish reason it must carry. */
  cutShort(): CompletionError | undefined {
    const tracker: FinishTracker | undefined = this.stream?.tracker;
    if (this.stream?.requireFinish !== true || (this.reason ?? tracker?.finishReason)) {
      return undefined;
    }
    return new CompletionError(
      "upstream_incomplete",
      "The model's stream ended without a finish reason: the answer was cut short",
    );
  }
}
