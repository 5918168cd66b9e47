/**
 * The fields of the endpoint's request body, in the order Chatchat's endpoint declares them — the
 * order its 422 reports them in.
 */
export const BODY_FIELDS = [
  "query",
  "stream",
  "echo",
  "model_name",
  "temperature",
  "max_tokens",
  "prompt_name",
] as const;
