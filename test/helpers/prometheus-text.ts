/** One sample of Prometheus' text exposition format: `name{label="value",…} number`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
const unescapeLabel = (value: string) =>
  value.replace(/\\(.)/g, (_, char: string) => (char === "n" ? "\n" : char));

/**
 * Reads every sample of a scrape (comments skipped); throws on a line that is neither, so a
 * malformed exposition fails the test rather than going unread.
 */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`not a sample: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const list = match[2] ?? "";
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < list.length) {
      const label = LABEL.exec(list);
      if (label === null) throw new Error(`bad labels: ${JSON.stringify(list)}`);
      labels[label[1] as string] = unescapeLabel(label[2] as string);
    }
    const raw = match[3] as string;
    const value = raw === "+Inf" ? Number.POSITIVE_INFINITY : Number(raw);
    samples.push({ name: match[1] as string, labels, value });
  }
  return samples;
}

/**
 * The samples named `name` whose labels include `labels`.
 *
 * @example
 * ```ts
 * find(samples, "completion_chain_requests_total", { status: "422" });
 * ```
 */
export function find(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  return samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

/** The value of the one sample named `name` with exactly `labels`; throws when there is none. */
export function value(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  const exact = find(samples, name, labels).filter(
    (sample) => Object.keys(sample.labels).length === Object.keys(labels).length,
  );
  if (exact.length !== 1) {
    throw new Error(`${exact.length} samples ${name}${JSON.stringify(labels)}`);
  }
  return (exact[0] as Sample).value;
}
