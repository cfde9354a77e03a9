import type { JetStreamManager } from "@nats-io/jetstream";
import type { PipelineMode, PipelineNames } from "@semente/platform/pipeline";
import {
  type Counter,
  createMetricsRegistry,
  type MetricsRegistry,
  registerSli,
  registerSliGauge,
} from "@semente/platform/telemetry";

/** The planner's metrics: queue depth, DLQ size and held leases read at scrape time, finished runs counted. */
export interface PlannerMetrics {
  registry: MetricsRegistry;
  runsFinished: Counter;
  /** `semente_budget_alerts_total`: the 80 % FinOps alert, once per run. */
  budgetAlerts: Counter;
}

/** What the scrape-time gauges read. */
export interface PlannerGaugeSources {
  jsm: JetStreamManager;
  names: PipelineNames;
  modes: readonly PipelineMode[];
  /** Runs this planner executes (their leases it holds and renews). */
  active: () => readonly string[];
}

async function streamMessages(jsm: JetStreamManager, stream: string): Promise<number | undefined> {
  try {
    return (await jsm.streams.info(stream)).state.messages;
  } catch {
    // A scrape during a broker outage reports nothing for the stream rather than a stale number.
    return undefined;
  }
}

export function createPlannerMetrics(sources: () => PlannerGaugeSources | undefined): PlannerMetrics {
  const registry = createMetricsRegistry();
  registerSliGauge(registry, "queueDepth", async (set) => {
    const s = sources();
    if (s === undefined) return;
    for (const mode of s.modes) {
      const n = await streamMessages(s.jsm, s.names.streams[mode]);
      if (n !== undefined) set({ mode }, n);
    }
  });
  registerSliGauge(registry, "dlqSize", async (set) => {
    const s = sources();
    const n = s === undefined ? undefined : await streamMessages(s.jsm, s.names.dlq);
    // Unknown (not wired yet, broker unreachable) is NaN, never a reassuring 0.
    set({}, n ?? Number.NaN);
  });
  registerSliGauge(registry, "leaseHeld", (set) => set({}, sources()?.active().length ?? 0));
  return {
    registry,
    runsFinished: registerSli(registry, "runsFinished"),
    budgetAlerts: registerSli(registry, "budgetAlerts"),
  };
}
