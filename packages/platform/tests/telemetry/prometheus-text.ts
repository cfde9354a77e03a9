/** One metric family of a Prometheus text exposition. */
export interface MetricFamily {
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+-?\\d+)?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/y;
const FAMILY_SUFFIXES = ["_bucket", "_sum", "_count", "_total", "_created", ""];

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (m === null) throw new Error(`bad labels in: ${line}`);
    labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return labels;
}

/** Values as Prometheus reads them (Go's ParseFloat: `NaN`, `+Inf`, `-Inf`, case-insensitive). */
function parseValue(raw: string, line: string): number {
  const lower = raw.toLowerCase();
  if (lower === "+inf" || lower === "inf") return Number.POSITIVE_INFINITY;
  if (lower === "-inf") return Number.NEGATIVE_INFINITY;
  if (lower === "nan") return Number.NaN;
  const n = Number(raw);
  if (Number.isNaN(n)) throw new Error(`bad value in: ${line}`);
  return n;
}

/**
 * Parses the Prometheus text format (0.0.4) strictly enough for tests: every line is a `# HELP`,
 * a `# TYPE` (once per family, before its samples), another comment, blank, or a sample of a
 * declared family with well-formed labels and value. Throws on anything else.
 */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string) => {
    let f = families.get(name);
    if (f === undefined) {
      f = { type: "untyped", help: "", samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`).exec(line);
    if (meta !== null) {
      const f = family(meta[2] as string);
      if (meta[1] === "HELP") f.help = meta[3] as string;
      else {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(meta[3] as string)) {
          throw new Error(`bad type in: ${line}`);
        }
        if (f.samples.length > 0) throw new Error(`TYPE after samples: ${line}`);
        f.type = meta[3] as string;
      }
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`not a sample: ${line}`);
    const name = m[1] as string;
    const owner = FAMILY_SUFFIXES.map((s) => (name.endsWith(s) ? name.slice(0, name.length - s.length) : ""))
      .concat(name)
      .find((base) => base !== "" && families.has(base));
    if (owner === undefined) throw new Error(`sample of an undeclared family: ${line}`);
    families
      .get(owner)
      ?.samples.push({ name, labels: parseLabels(m[2] ?? "", line), value: parseValue(m[3] as string, line) });
  }
  return families;
}
