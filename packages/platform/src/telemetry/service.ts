import { registerExportGateGauge } from "./export-gate.ts";
import type { Logger } from "./logger.ts";
import type { MetricsRegistry } from "./metrics.ts";
import { startTelemetry, type Telemetry } from "./tracing.ts";

/**
 * A service's telemetry start-up: tracing from the `OTEL_*` variables (default service name
 * `semente-<service>`), exporter state changes logged, `semente_telemetry_export_up` on `registry`.
 */
export function startServiceTelemetry(
  service: string,
  environment: string,
  log: Logger,
  registry: MetricsRegistry,
): Telemetry {
  const telemetry = startTelemetry({
    service,
    environment,
    onGateChange: (state) =>
      state.status === "ok"
        ? log.info({ telemetry: state }, "trace export delivering again")
        : log.warn(
            { telemetry: state },
            state.required ? "trace export failing (fail-closed)" : "trace export failing",
          ),
  });
  registerExportGateGauge(registry, telemetry.gate);
  log.info({ exporter: telemetry.exporter, required: telemetry.gate.state().required }, "telemetry started");
  return telemetry;
}
