import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { type ExportResult, ExportResultCode, parseKeyPairsIntoRecord } from "@opentelemetry/core";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, NoopSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace";
import { SementeError } from "@semente/core/errors";
import { createExportGate, type ExportGate, type ExportGateState } from "./export-gate.ts";
import type { TraceContext } from "./types.ts";

/** Environments where telemetry is required: an undeliverable exporter refuses new runs (T067). */
export const TELEMETRY_REQUIRED_ENVIRONMENTS: readonly string[] = ["staging", "prod"];

/** Longest a shutdown waits for the last spans to be delivered. */
const SHUTDOWN_FLUSH_MS = 2_000;

/** Options of {@link startTelemetry}. */
export interface TelemetryOptions {
  /** Service short name: `gateway` → default `OTEL_SERVICE_NAME` `semente-gateway`. */
  service: string;
  /** `SEMENTE_ENV` of the process. */
  environment: string;
  /** Where `OTEL_*` and `SEMENTE_TELEMETRY_*` are read. @default process.env */
  env?: Record<string, string | undefined>;
  /** Told about exporter state changes (the service logs them). */
  onGateChange?: (state: ExportGateState) => void;
}

/** A started tracer provider with its export gate. */
export interface Telemetry {
  tracer: Tracer;
  gate: ExportGate;
  /** `otlp` when spans are exported, `none` when they only exist in-process (ids still real). */
  exporter: "otlp" | "none";
  /** Flushes pending spans and stops the provider and the probe. */
  shutdown(): Promise<void>;
}

/** The OTLP traces URL the standard variables point at, or `undefined` when none is set. */
export function tracesEndpoint(env: Record<string, string | undefined>): string | undefined {
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const endpoint = signal || (base ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined);
  if (endpoint === undefined) return undefined;
  let protocol = "";
  try {
    protocol = new URL(endpoint).protocol;
  } catch {
    // Reported below with the variable's name.
  }
  if (protocol !== "http:" && protocol !== "https:") {
    const name = signal ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT";
    throw new SementeError("CONFIG_INVALID", `${name}: expected an http(s) URL`);
  }
  return endpoint;
}

/** `http/protobuf` (the spec's default) or `http/json`; gRPC is not shipped. */
export function tracesProtocol(env: Record<string, string | undefined>): "http/protobuf" | "http/json" {
  const raw = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || "http/protobuf").trim();
  if (raw === "http/protobuf" || raw === "http/json") return raw;
  throw new SementeError(
    "CONFIG_INVALID",
    `OTEL_EXPORTER_OTLP_PROTOCOL: expected http/protobuf or http/json, got ${raw}`,
  );
}

function positiveInt(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new SementeError("CONFIG_INVALID", `${name}: expected a positive integer`);
  return n;
}

/** Wraps an exporter so that every delivery outcome reaches the gate. */
function gated(exporter: SpanExporter, gate: ExportGate): SpanExporter {
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      exporter.export(spans, (result) => {
        gate.record(result.code === ExportResultCode.SUCCESS);
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

/**
 * An empty export request (a valid, empty `ExportTraceServiceRequest` in either encoding): tells
 * whether the collector answers while no span is being exported.
 */
async function probeCollector(
  url: string,
  protocol: "http/protobuf" | "http/json",
  headers: Record<string, string>,
  timeoutMs: number,
) {
  const json = protocol === "http/json";
  const response = await fetch(url, {
    method: "POST",
    headers: { ...headers, "content-type": json ? "application/json" : "application/x-protobuf" },
    body: json ? "{}" : new Uint8Array(0),
    signal: AbortSignal.timeout(timeoutMs),
  });
  await response.arrayBuffer();
  return response.ok;
}

/**
 * Starts the OpenTelemetry Node SDK for one service from the standard variables:
 * `OTEL_SERVICE_NAME` (default `semente-<service>`), `OTEL_RESOURCE_ATTRIBUTES`,
 * `OTEL_TRACES_SAMPLER[_ARG]`, `OTEL_BSP_*`, `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT|PROTOCOL|HEADERS`,
 * `OTEL_TRACES_EXPORTER=none`, `OTEL_SDK_DISABLED`. With no endpoint set, spans get real ids but
 * are not exported; in staging/prod that is refused at start-up. `shutdown()` flushes for at most 2 s.
 *
 * The export gate closes after `SEMENTE_TELEMETRY_FAILURE_BOUND_MS` of failed deliveries; a probe
 * (an empty export request every `SEMENTE_TELEMETRY_PROBE_MS`) keeps it current while idle.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const env = options.env ?? process.env;
  const required = TELEMETRY_REQUIRED_ENVIRONMENTS.includes(options.environment);
  const endpoint = tracesEndpoint(env);
  const disabled = env.OTEL_TRACES_EXPORTER?.trim() === "none" || env.OTEL_SDK_DISABLED?.trim() === "true";
  const exporting = endpoint !== undefined && !disabled;
  if (required && !exporting) {
    throw new SementeError(
      "CONFIG_INVALID",
      `telemetry is required in ${options.environment}: set OTEL_EXPORTER_OTLP_ENDPOINT (and not OTEL_TRACES_EXPORTER=none)`,
    );
  }
  const protocol = tracesProtocol(env);
  const gate = createExportGate({
    required,
    boundMs: positiveInt(env, "SEMENTE_TELEMETRY_FAILURE_BOUND_MS", 30_000),
    onChange: options.onGateChange,
  });
  const exporter = !exporting
    ? undefined
    : gated(
        protocol === "http/json" ? new JsonTraceExporter({ url: endpoint }) : new ProtoTraceExporter({ url: endpoint }),
        gate,
      );
  const processor =
    exporter === undefined
      ? new NoopSpanProcessor()
      : new BatchSpanProcessor({
          exporter,
          scheduledDelayMillis: positiveInt(env, "OTEL_BSP_SCHEDULE_DELAY", 5_000),
          exportTimeoutMillis: positiveInt(env, "OTEL_BSP_EXPORT_TIMEOUT", 30_000),
          maxQueueSize: positiveInt(env, "OTEL_BSP_MAX_QUEUE_SIZE", 2_048),
          maxExportBatchSize: positiveInt(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512),
        });
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || `semente-${options.service}`,
    spanProcessors: [processor],
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  let probe: ReturnType<typeof setInterval> | undefined;
  if (exporting && endpoint !== undefined) {
    const every = positiveInt(env, "SEMENTE_TELEMETRY_PROBE_MS", 5_000);
    // The probe authenticates as the exporter does (`OTEL_EXPORTER_OTLP_[TRACES_]HEADERS`).
    const probeHeaders = {
      ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_HEADERS ?? ""),
      ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? ""),
    };
    let inFlight = false;
    probe = setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      probeCollector(endpoint, protocol, probeHeaders, Math.max(500, every))
        .then(
          (ok) => gate.record(ok),
          () => gate.record(false),
        )
        .finally(() => {
          inFlight = false;
        });
    }, every);
    probe.unref?.();
  }
  return {
    tracer: trace.getTracer("semente", "0.1.0"),
    gate,
    exporter: exporting ? "otlp" : "none",
    async shutdown() {
      clearInterval(probe);
      // Flushing to an unreachable collector would hold the process for the export timeout.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS);
      });
      await Promise.race([sdk.shutdown().catch(() => undefined), bound]);
      clearTimeout(timer);
    },
  };
}

/** A parsed trace context of a span (ids as the evidence report records them). */
export function traceContextOf(span: Span): TraceContext {
  const c = span.spanContext();
  return { traceId: c.traceId, spanId: c.spanId, flags: c.traceFlags };
}

/** Something that carries string headers: NATS `MsgHdrs`, a plain record. */
export interface HeaderCarrier {
  get(name: string): string | undefined | null;
  set(name: string, value: string): void;
}

/** Writes `traceparent`/`tracestate` of `ctx` (default: the active context) into `headers`. */
export function injectTraceHeaders<H extends HeaderCarrier>(headers: H, ctx: Context = context.active()): H {
  propagation.inject(ctx, headers, { set: (carrier, key, value) => carrier.set(key, value) });
  return headers;
}

/** The remote parent a message or request carries (a root context when it carries none). */
export function extractTraceHeaders(headers: HeaderCarrier | undefined): Context {
  if (headers === undefined) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, headers, {
    get: (carrier, key) => carrier.get(key) || undefined,
    keys: () => ["traceparent", "tracestate"],
  });
}

/** The context whose parent is `traceparent` (a root context for a missing or malformed value). */
export function contextFromTraceparent(traceparent: string | null | undefined, tracestate?: string | null): Context {
  const values = new Map<string, string>();
  if (traceparent) values.set("traceparent", traceparent);
  if (tracestate) values.set("tracestate", tracestate);
  return extractTraceHeaders({ get: (k) => values.get(k), set: (k, v) => values.set(k, v) });
}

/** Options of {@link inSpan}. */
export interface InSpanOptions {
  attributes?: Attributes;
  /** Parent; the active context when omitted. */
  parent?: Context;
  kind?: SpanKind;
}

/**
 * Runs `fn` inside a new active span: a thrown error marks the span `ERROR` with the problem code
 * only (never the message: it may carry SQL details), and the span always ends.
 */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: InSpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(
    name,
    { attributes: options.attributes, kind: options.kind ?? SpanKind.INTERNAL },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        const code = error instanceof SementeError ? error.code : "INTERNAL";
        span.setAttribute("semente.problem_code", code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** The tracer of the process (a no-op tracer until {@link startTelemetry} ran). */
export const sementeTracer = (): Tracer => trace.getTracer("semente", "0.1.0");

export { SpanKind };
