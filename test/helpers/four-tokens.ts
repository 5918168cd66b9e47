/**
 * The upstream script the langchain-citizen-*.test.ts files share: four tokens, their answer, a
 * slow form of it, and a wait for the upstream to have sent some of them.
 */
import type { TestingServer } from "../../src/testing/index.js";
import { sleep } from "./fixtures.js";

export const TOKENS = ["alpha", " beta", " gamma", " delta"];
export const ANSWER = TOKENS.join("");

// The first token at once, then a long gap before each next one: an abort that closes the socket
// "at once" leaves exactly one token sent; one that waits for the next token leaves two.
const GAP_MS = 2_000;
export const slow = { tokens: TOKENS, delayMs: (index: number) => (index === 0 ? 0 : GAP_MS) };

/** Resolves once the upstream has sent `n` tokens. */
export async function sent(server: TestingServer, n: number): Promise<void> {
  while (server.tokensSent() < n) await sleep(5);
}
