import { BATCH_BUCKETS, createMetricsRegistry, type MetricsRegistry, registerSli } from "@semente/platform/telemetry";
import type { SeederMetrics } from "./handlers/batch.ts";

/** The seeder's registry (process metrics) and its SLI instruments. */
export function createSeederMetrics(): SeederMetrics & { registry: MetricsRegistry } {
  const registry = createMetricsRegistry();
  return {
    registry,
    batchDuration: registerSli(registry, "batchDuration", BATCH_BUCKETS),
    rowsWritten: registerSli(registry, "rowsWritten"),
    batches: registerSli(registry, "batches"),
  };
}
