import client from "prom-client";

type Labels = Record<string, string>;

/** A monotonically increasing counter. */
export interface Counter {
  inc(labels?: Labels, value?: number): void;
}

/** A cumulative histogram with fixed buckets. */
export interface Histogram {
  observe(labels: Labels, value: number): void;
}

/** A value read at scrape time. */
export interface Gauge {
  set(labels: Labels, value: number): void;
}

/** A process's Prometheus registry (prom-client): process metrics plus the service's own. */
export interface MetricsRegistry {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  histogram(name: string, help: string, buckets: readonly number[], labelNames?: readonly string[]): Histogram;
  /**
   * A gauge; `collect` (optional) refreshes it before each scrape, starting from no series (a
   * label-less gauge reads 0 until set: set `NaN` for "unknown").
   */
  gauge(
    name: string,
    help: string,
    labelNames?: readonly string[],
    collect?: (set: (labels: Labels, value: number) => void) => Promise<void> | void,
  ): Gauge;
  /** The whole registry in Prometheus text format. */
  render(): Promise<string>;
  /** The underlying prom-client registry. */
  readonly registry: client.Registry;
}

/** Content type of `render()`'s output. */
export const PROMETHEUS_CONTENT_TYPE = client.Registry.PROMETHEUS_CONTENT_TYPE;

/** Default latency buckets in seconds. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Batch latency buckets: the SLO thresholds (5/15 s baseline, 30/60 s load/DR) are bucket bounds. */
export const BATCH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 90] as const;

/**
 * The SLI metrics docs/slo/seed-data.md and deploy/prometheus/ name, per service, with their
 * labels. Services register them through {@link registerSli}; a test cross-checks the doc and the
 * rules against this list.
 */
export const SLI_METRICS = {
  httpRequests: {
    name: "semente_http_requests_total",
    type: "counter",
    service: "gateway",
    labels: ["route", "method", "status"],
    help: "HTTP requests by route template, method and status.",
  },
  httpDuration: {
    name: "semente_http_request_duration_seconds",
    type: "histogram",
    service: "gateway",
    labels: ["route", "method"],
    help: "HTTP request latency by route template and method.",
  },
  admissionDecisions: {
    name: "semente_admission_decisions_total",
    type: "counter",
    service: "gateway",
    labels: ["environment", "decision"],
    help: "Admission decisions by environment and outcome.",
  },
  admissionDuration: {
    name: "semente_admission_duration_seconds",
    type: "histogram",
    service: "gateway",
    labels: ["environment", "decision"],
    help: "POST /api/v1/seed-runs to the admission decision (queue wait excluded).",
  },
  rateLimited: {
    name: "semente_rate_limited_total",
    type: "counter",
    service: "gateway",
    labels: ["policy"],
    help: "Requests refused by a rate-limit policy.",
  },
  batchDuration: {
    name: "semente_batch_duration_seconds",
    type: "histogram",
    service: "seeder",
    labels: ["entity", "mode"],
    help: "Batch start to commit of its SERIALIZABLE transaction (checkpoint included).",
  },
  rowsWritten: {
    name: "semente_rows_written_total",
    type: "counter",
    service: "seeder",
    labels: ["entity", "mode"],
    help: "Rows committed by batches (dry runs and redeliveries of committed batches excluded).",
  },
  batches: {
    name: "semente_batches_total",
    type: "counter",
    service: "seeder",
    labels: ["mode", "outcome"],
    help: "Batch deliveries by outcome (acked, skipped, retried, dead_lettering).",
  },
  queueDepth: {
    name: "semente_queue_depth",
    type: "gauge",
    service: "planner",
    labels: ["mode"],
    help: "Batch messages waiting in the mode's work-queue stream.",
  },
  dlqSize: {
    name: "semente_dlq_size",
    type: "gauge",
    service: "planner",
    labels: [],
    help: "Dead-lettered batches held in SEED_DLQ.",
  },
  leaseHeld: {
    name: "semente_lease_held",
    type: "gauge",
    service: "planner",
    labels: [],
    help: "Runs whose tenant and slot leases this planner holds and renews.",
  },
  budgetAlerts: {
    name: "semente_budget_alerts_total",
    type: "counter",
    service: "planner",
    labels: ["environment", "mode"],
    help: "Runs whose measured cost reached 80 % of the manifest's budget (the FinOps alert, R6.7).",
  },
  runsFinished: {
    name: "semente_runs_finished_total",
    type: "counter",
    service: "planner",
    labels: ["environment", "mode", "state"],
    help: "Runs the planner drove to a terminal state, by state.",
  },
  evidenceReports: {
    name: "semente_evidence_reports_total",
    type: "counter",
    service: "evidence",
    labels: ["outcome"],
    help: "Run events handled by the evidence service, by outcome.",
  },
  telemetryExportUp: {
    name: "semente_telemetry_export_up",
    type: "gauge",
    service: "all",
    labels: [],
    help: "1 while trace export delivers (or has failed for less than the bound), 0 past the bound.",
  },
} as const;

export type SliKey = keyof typeof SLI_METRICS;

/**
 * A registry with the default process metrics (`process_*`, `nodejs_*`). Each registry is
 * independent, so tests may build several in one process.
 */
export function createMetricsRegistry(): MetricsRegistry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    counter(name, help, labelNames = []) {
      const c = new client.Counter({ name, help, labelNames: [...labelNames], registers: [registry] });
      return { inc: (labels = {}, value = 1) => c.inc(labels, value) };
    },
    histogram(name, help, buckets, labelNames = []) {
      const h = new client.Histogram({
        name,
        help,
        buckets: [...buckets],
        labelNames: [...labelNames],
        registers: [registry],
      });
      return { observe: (labels, value) => h.observe(labels, value) };
    },
    gauge(name, help, labelNames = [], collect) {
      const g = new client.Gauge({
        name,
        help,
        labelNames: [...labelNames],
        registers: [registry],
        ...(collect === undefined
          ? {}
          : {
              async collect() {
                // Only what this scrape read: a series the source no longer reports disappears.
                this.reset();
                await collect((labels, value) => this.set(labels, value));
              },
            }),
      });
      return { set: (labels, value) => g.set(labels, value) };
    },
    render: () => registry.metrics(),
  };
}

/** Registers one SLI of {@link SLI_METRICS} with its catalogued name, help and labels. */
export function registerSli<K extends SliKey>(
  registry: MetricsRegistry,
  key: K,
  ...rest: (typeof SLI_METRICS)[K]["type"] extends "histogram" ? [buckets: readonly number[]] : []
): (typeof SLI_METRICS)[K]["type"] extends "histogram" ? Histogram : Counter {
  const spec = SLI_METRICS[key];
  if (spec.type === "histogram") {
    return registry.histogram(spec.name, spec.help, rest[0] ?? LATENCY_BUCKETS, spec.labels) as never;
  }
  if (spec.type === "counter") return registry.counter(spec.name, spec.help, spec.labels) as never;
  throw new Error(`${spec.name} is a gauge: use registerSliGauge`);
}

/** Registers a gauge SLI whose value `collect` reads at scrape time. */
export function registerSliGauge(
  registry: MetricsRegistry,
  key: SliKey,
  collect: (set: (labels: Labels, value: number) => void) => Promise<void> | void,
): Gauge {
  const spec = SLI_METRICS[key];
  return registry.gauge(spec.name, spec.help, spec.labels, collect);
}

/** Serves a registry: `GET /metrics` → Prometheus text (for the worker services' health port). */
export async function metricsResponse(registry: MetricsRegistry): Promise<Response> {
  return new Response(await registry.render(), { status: 200, headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
}
