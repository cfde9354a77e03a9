/**
 * The planner's broker watch: when NATS stays unreachable past its bound, every run in flight
 * fails with BROKER_LOST (nobody could move it); once the broker is back, their admission leases
 * (held in NATS) are freed.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { Admission } from "@semente/platform/admission";
import { type BrokerWatch, createBrokerWatch } from "@semente/platform/bus";
import type { Sql } from "@semente/platform/db";
import { isSementeError, SementeError, toProblem } from "@semente/core/errors";
import { transitionRun } from "@semente/platform/runs";
import { type Logger, natsProbe } from "@semente/platform/telemetry";

/** What {@link watchBroker} needs. */
export interface BrokerLossDeps {
  nc: NatsConnection;
  /** Control plane (semente_app). */
  sql: Sql;
  log: Logger;
  admission: Admission;
  /** How long NATS may stay unreachable. */
  boundMs: number;
  /** Wakes the executor of a run this process executes (no-op for another). */
  wake(runId: string): void;
}

/** The broker watch of the planner (started and stopped with it). */
export function watchBroker(deps: BrokerLossDeps): BrokerWatch {
  const { sql, log, boundMs } = deps;
  const failedByLoss = new Set<string>();

  /** Fails every run in flight: without the broker no batch can be released or acknowledged. */
  async function failOnBrokerLoss(downForMs: number): Promise<void> {
    const rows = await sql<{ id: string }[]>`
      SELECT id FROM seed.runs WHERE state IN ('admitted', 'planning', 'running', 'paused') ORDER BY created_at`;
    for (const { id } of rows) {
      const error = new SementeError(
        "BROKER_LOST",
        `NATS unreachable for ${Math.round(downForMs / 1000)} s, over the ${Math.round(boundMs / 1000)} s bound`,
        { extensions: { down_ms: Math.round(downForMs), bound_ms: boundMs } },
      );
      try {
        await transitionRun(sql, id, {
          to: "failed",
          reason: toProblem(error, `/api/v1/seed-runs/${id}`),
          actor: "planner",
          details: { down_ms: Math.round(downForMs), bound_ms: boundMs },
        });
        log.error({ run: id, down_ms: Math.round(downForMs) }, "broker lost; run failed");
      } catch (failure) {
        if (!isSementeError(failure) || failure.code !== "INVALID_STATE") throw failure;
      }
      failedByLoss.add(id);
      deps.wake(id);
    }
  }

  /** Frees the admission leases of the runs failed while the broker was away (it holds them). */
  async function releaseAfterLoss(): Promise<void> {
    for (const id of [...failedByLoss]) {
      await deps.admission.release(id);
      failedByLoss.delete(id);
    }
  }

  return createBrokerWatch({
    probe: natsProbe(deps.nc),
    boundMs,
    onLost: failOnBrokerLoss,
    onRestored: releaseAfterLoss,
    onError: (error) => log.warn({ err: error }, "broker watch error"),
  });
}
