import type { Manifest } from "@semente/core/manifest";
import { type BatchMessage, batchMsgId, encodeMessage, type TrackedBatch } from "@semente/core/pipeline";
import type { Run } from "@semente/platform/runs";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { injectTraceHeaders, inSpan, SpanKind, sementeTracer } from "@semente/platform/telemetry";
import type { ExecutorDeps } from "./executor.ts";

/** The batch message of a planned batch of `run` (its retry policy from the manifest's backoff). */
function batchMessage(run: Run, b: TrackedBatch): BatchMessage {
  const backoff = (run.manifest as Manifest).rate_limit.backoff;
  return {
    v: 1,
    runId: run.id,
    environment: run.environment,
    tenant: run.tenantId,
    mode: run.mode,
    dryRun: run.dryRun,
    manifestHash: run.manifestHash,
    keyVersion: run.keyVersion,
    entity: b.entity,
    batchIndex: b.batchIndex,
    level: b.level,
    planIndex: b.planIndex,
    from: b.from,
    to: b.to,
    retry: {
      initialMs: backoff.initial_ms,
      maxMs: backoff.max_ms,
      multiplier: backoff.multiplier,
      maxRetries: backoff.max_retries,
    },
  };
}

/**
 * Publishes one batch to its mode's work queue inside a PRODUCER span whose W3C context travels in
 * the NATS headers. `republish` (after a restart) gives the message a fresh id.
 */
export async function publishBatch(
  deps: Pick<ExecutorDeps, "js" | "names" | "tracer">,
  run: Run,
  b: TrackedBatch,
  republish?: string,
): Promise<void> {
  const message = batchMessage(run, b);
  const attributes = {
    "semente.run_id": run.id,
    "semente.entity": b.entity,
    "semente.batch_index": b.batchIndex,
    "semente.rows": b.to - b.from,
    "messaging.system": "nats",
  };
  const tracer = deps.tracer ?? sementeTracer();
  await inSpan(tracer, "planner.publish_batch", { attributes, kind: SpanKind.PRODUCER }, async () => {
    await deps.js.publish(deps.names.batchSubject(message), encodeMessage(message), {
      // A republish after a restart must not be swallowed by the duplicate window: a dry run has no
      // checkpoint row, so a batch done while the planner was down is only known by doing it again.
      msgID: republish === undefined ? batchMsgId(message) : `${batchMsgId(message)}:${republish}`,
      expect: { streamName: deps.names.streams[run.mode] },
      // W3C traceparent/tracestate of this publish span: the seeder's consume span is its child.
      headers: injectTraceHeaders(natsHeaders()),
    });
  });
}
