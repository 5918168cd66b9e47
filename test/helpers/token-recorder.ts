import { BaseCallbackHandler } from "@langchain/core/callbacks/base";

/** Records the tokens a run reports, in order (awaited, so none is still on its way at the end). */
export class TokenRecorder extends BaseCallbackHandler {
  name = "TokenRecorder";
  tokens: string[] = [];
  constructor() {
    super({ _awaitHandler: true });
  }
  override handleLLMNewToken(token: string): void {
    if (token !== "") this.tokens.push(token);
  }
}
