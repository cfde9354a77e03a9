import type { Span } from "@opentelemetry/api";
import type { Sql } from "../db/index.ts";
import { formatTraceparent } from "./traceparent.ts";
import type { TraceContext } from "./types.ts";

/** The span names services record in `seed.run_traces` (migration 0080). */
export const RunSpan = {
  request: "gateway.request",
  admission: "gateway.admission",
  planner: "planner.run",
  evidence: "evidence.build",
} as const;
export type RunSpan = (typeof RunSpan)[keyof typeof RunSpan];

/** One recorded span of a run. */
export interface RunTrace {
  service: string;
  spanName: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  flags: number;
}

type Db = Pick<Sql, "unsafe">;

/** Records `span` as `name` of `runId` (idempotent per span id). A non-recording or unsampled-invalid span is skipped. */
export async function recordRunSpan(
  sql: Db,
  runId: string,
  service: string,
  name: RunSpan,
  span: Span,
  parentSpanId?: string,
): Promise<void> {
  const c = span.spanContext();
  if (/^0+$/.test(c.traceId) || /^0+$/.test(c.spanId)) return;
  await sql.unsafe(
    `INSERT INTO seed.run_traces (run_id, service, span_name, trace_id, span_id, parent_span_id, trace_flags)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [runId, service, name, c.traceId, c.spanId, parentSpanId ?? null, c.traceFlags],
  );
}

/** Every recorded span of a run, oldest first. */
export async function runTraces(sql: Db, runId: string): Promise<RunTrace[]> {
  const rows = await sql.unsafe<
    {
      service: string;
      span_name: string;
      trace_id: string;
      span_id: string;
      parent_span_id: string | null;
      trace_flags: number;
    }[]
  >(
    `SELECT service, span_name, trace_id, span_id, parent_span_id, trace_flags
       FROM seed.run_traces WHERE run_id = $1 ORDER BY recorded_at, span_id`,
    [runId],
  );
  return rows.map((r) => ({
    service: r.service,
    spanName: r.span_name,
    traceId: r.trace_id,
    spanId: r.span_id,
    parentSpanId: r.parent_span_id,
    flags: Number(r.trace_flags),
  }));
}

/** The `traceparent` of the latest span `name` of a run, or `undefined` when none was recorded. */
export async function runTraceparent(sql: Db, runId: string, name: RunSpan): Promise<string | undefined> {
  const found = (await runTraces(sql, runId)).filter((t) => t.spanName === name).at(-1);
  if (found === undefined) return undefined;
  const context: TraceContext = { traceId: found.traceId, spanId: found.spanId, flags: found.flags };
  return formatTraceparent(context);
}
