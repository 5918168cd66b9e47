/**
 * Reporting a run to the chain run around it (when the caller left that to the run): the output
 * on success, the error on failure — before the consumer hears of either, so a tracer has the run
 * closed by the time the caller moves on.
 *
 * @packageDocumentation
 */

import type { CallbackManagerForChainRun } from "@langchain/core/callbacks/manager";

/** The chain run a run ends or fails, and the output it collects for it. */
export class ChainRunReport {
  private output = "";

  constructor(private readonly chainRun: CallbackManagerForChainRun | undefined) {}

  /** Adds text to the output the chain run ends with. */
  add(text: string): void {
    if (this.chainRun !== undefined) this.output += text;
  }

  /** Ends the chain run with the output, then calls `then` (whether the callbacks fail or not). */
  end(then: () => void): void {
    if (this.chainRun === undefined) then();
    else this.chainRun.handleChainEnd({ output: this.output }).then(then, then);
  }

  /** Fails the chain run with `error`, then calls `then` (whether the callbacks fail or not). */
  fail(error: unknown, then: () => void): void {
    if (this.chainRun === undefined) then();
    else this.chainRun.handleChainError(error).then(then, then);
  }
}
