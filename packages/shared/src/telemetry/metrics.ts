type Labels = Record<string, string>;

/** A monotonically increasing counter. */
export interface Counter {
  inc(labels?: Labels, value?: number): void;
}

/** A cumulative histogram with fixed buckets. */
export interface Histogram {
  observe(labels: Labels, value: number): void;
}

/** A tiny Prometheus registry rendering the text exposition format (version 0.0.4). */
export interface MetricsRegistry {
  counter(name: string, help: string): Counter;
  histogram(name: string, help: string, buckets: readonly number[]): Histogram;
  /** The whole registry in Prometheus text format. */
  render(): string;
}

/** Content type of `render()`'s output. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Default latency buckets in seconds. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"');
}

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${escapeLabel(labels[k] as string)}"`).join(",");
}

function series(name: string, key: string, extra = ""): string {
  const all = [key, extra].filter((s) => s !== "").join(",");
  return all === "" ? name : `${name}{${all}}`;
}

export function createMetricsRegistry(): MetricsRegistry {
  const sections: (() => string[])[] = [];
  const names = new Set<string>();
  const claim = (name: string) => {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name) || names.has(name)) throw new Error(`bad or duplicate metric ${name}`);
    names.add(name);
  };
  return {
    counter(name, help) {
      claim(name);
      const values = new Map<string, number>();
      sections.push(() => [
        `# HELP ${name} ${help}`,
        `# TYPE ${name} counter`,
        ...[...values].map(([key, v]) => `${series(name, key)} ${v}`),
      ]);
      return {
        inc: (labels = {}, value = 1) => values.set(labelKey(labels), (values.get(labelKey(labels)) ?? 0) + value),
      };
    },
    histogram(name, help, buckets) {
      claim(name);
      const states = new Map<string, { counts: number[]; sum: number; count: number }>();
      sections.push(() => [
        `# HELP ${name} ${help}`,
        `# TYPE ${name} histogram`,
        ...[...states].flatMap(([key, s]) => [
          ...buckets.map((b, i) => `${series(`${name}_bucket`, key, `le="${b}"`)} ${s.counts[i]}`),
          `${series(`${name}_bucket`, key, 'le="+Inf"')} ${s.count}`,
          `${series(`${name}_sum`, key)} ${s.sum}`,
          `${series(`${name}_count`, key)} ${s.count}`,
        ]),
      ]);
      return {
        observe(labels, value) {
          const key = labelKey(labels);
          const s = states.get(key) ?? { counts: buckets.map(() => 0), sum: 0, count: 0 };
          buckets.forEach((b, i) => {
            if (value <= b) s.counts[i] = (s.counts[i] ?? 0) + 1;
          });
          s.sum += value;
          s.count += 1;
          states.set(key, s);
        },
      };
    },
    render: () => `${sections.flatMap((section) => section()).join("\n")}\n`,
  };
}
