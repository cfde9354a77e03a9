import { SementeError } from "@semente/core/errors";
import { type MetricsRegistry, registerSliGauge } from "./metrics.ts";

/** Options of {@link createExportGate}. */
export interface ExportGateOptions {
  /** Staging/prod: an undeliverable exporter refuses new runs. Dev: it only warns. */
  required: boolean;
  /** How long deliveries may fail before the gate closes, in ms. */
  boundMs: number;
  /** Clock (tests). @default performance.now */
  now?: () => number;
  /** Called once per transition (open → failing, failing → closed, → open again). */
  onChange?: (state: ExportGateState) => void;
}

/** What the gate knows about the trace exporter. */
export interface ExportGateState {
  /** `ok`: last delivery succeeded; `failing`: failing for less than the bound; `down`: past it. */
  status: "ok" | "failing" | "down";
  /** Milliseconds since the first failure of the current streak, or `null`. */
  failingForMs: number | null;
  required: boolean;
}

/** Tracks export outcomes and decides whether new runs may start (T067). */
export interface ExportGate {
  /** Records one delivery attempt (span batch or probe). */
  record(ok: boolean): void;
  state(): ExportGateState;
  /** Throws `TELEMETRY_UNAVAILABLE` when telemetry is required and has been down past the bound. */
  assertOpen(): void;
}

export function createExportGate(options: ExportGateOptions): ExportGate {
  const now = options.now ?? (() => performance.now());
  let failingSince: number | null = null;
  let last: ExportGateState["status"] = "ok";
  const state = (): ExportGateState => {
    const failingForMs = failingSince === null ? null : now() - failingSince;
    const status = failingForMs === null ? "ok" : failingForMs >= options.boundMs ? "down" : "failing";
    return { status, failingForMs, required: options.required };
  };
  const notify = () => {
    const s = state();
    if (s.status !== last) {
      last = s.status;
      options.onChange?.(s);
    }
  };
  return {
    record(ok) {
      if (ok) failingSince = null;
      else failingSince ??= now();
      notify();
    },
    state() {
      notify();
      return state();
    },
    assertOpen() {
      const s = this.state();
      if (!options.required || s.status !== "down") return;
      throw new SementeError(
        "TELEMETRY_UNAVAILABLE",
        `trace export failing for ${Math.round((s.failingForMs ?? 0) / 1000)} s; runs are refused until it recovers`,
        { retryable: true, extensions: { failing_for_ms: Math.round(s.failingForMs ?? 0) } },
      );
    },
  };
}

/** `semente_telemetry_export_up`: 0 once the gate is down, 1 otherwise (read at scrape time). */
export function registerExportGateGauge(registry: MetricsRegistry, gate: ExportGate): void {
  registerSliGauge(registry, "telemetryExportUp", (set) => set({}, gate.state().status === "down" ? 0 : 1));
}
