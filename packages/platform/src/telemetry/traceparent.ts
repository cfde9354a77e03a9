import type { TraceContext } from "./types.ts";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
}

/** Parses a version-00 `traceparent`; `undefined` for anything malformed or all-zero ids. */
export function parseTraceparent(header: string | null | undefined): TraceContext | undefined {
  const m = TRACEPARENT.exec((header ?? "").trim());
  if (m === null) return undefined;
  const [, traceId, spanId, flags] = m as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.flags.toString(16).padStart(2, "0")}`;
}

/** The context of a new span: child of `parent` (same trace, new span id), or the root of a new sampled trace. */
export function childTraceContext(parent: TraceContext | undefined): TraceContext {
  if (parent === undefined) return { traceId: randomHex(16), spanId: randomHex(8), flags: 1 };
  return { traceId: parent.traceId, spanId: randomHex(8), flags: parent.flags };
}
