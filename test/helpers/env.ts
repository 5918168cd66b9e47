import { afterEach } from "vitest";

/** The variables the library and LangChain's OpenAI classes read. */
const NAMES = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"] as const;
type Name = (typeof NAMES)[number];

const saved = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));

/** Puts every variable back as the process had it. */
export function restoreEnv(): void {
  for (const name of NAMES) {
    const value = saved[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/** Clears the variables, then sets `values`; every test gets the originals back afterwards. */
export function setEnv(values: Partial<Record<Name, string>>): void {
  for (const name of NAMES) delete process.env[name];
  Object.assign(process.env, values);
}

afterEach(restoreEnv);
