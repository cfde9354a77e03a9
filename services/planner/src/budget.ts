import type { JetStreamClient } from "@nats-io/jetstream";
import { type RunEventsOptions, subjects } from "@semente/platform/bus";
import { appendAudit, type Sql } from "@semente/platform/db";
import {
  type CostModel,
  computeCost,
  type Entity,
  estimateCost,
  type Manifest,
  rowsCost,
} from "@semente/core/manifest";
import type { Run } from "@semente/platform/runs";
import type { NewlyCommitted } from "./batches.ts";
import type { Counter, Logger } from "@semente/platform/telemetry";

/** Share of the budget at which the run raises its alert (R6.7). */
export const BUDGET_ALERT_RATIO = 0.8;

/** What {@link createRunBudget} needs. */
export interface RunBudgetDeps {
  sql: Sql;
  js: JetStreamClient;
  events: RunEventsOptions;
  model: CostModel;
  log: Logger;
  /** Monotonic milliseconds (compute accrues for the time the run spends running). */
  now: () => number;
  /** `semente_budget_alerts_total`, incremented with the 80 % alert. */
  alerts?: Counter;
}

/** The live budget of one run: measured cost in seed.budget_ledger against `budget.max_cost`. */
export interface RunBudget {
  /**
   * Accrues `committed` (the batches a reconcile pass just marked committed), plus, on the first
   * call, every batch committed before this budget was opened and not yet accounted (a planner
   * restart), and the compute since the last accrual. A batch already in the ledger is not charged twice.
   */
  accrue(committed: readonly NewlyCommitted[]): Promise<void>;
  /** Restarts the compute clock (after a pause: paused time costs no compute). */
  resumeClock(): void;
  /** Measured so far, the evidence report reserved: what the run has cost if it stopped now. */
  spent(): number;
  /** Whether releasing `rows` more rows of `entity` on top of `inFlight` keeps the projection within budget. */
  allows(entity: Entity, rows: number, inFlight: readonly { entity: Entity; rows: number }[]): boolean;
  /** Records the 80 % alert once (ledger, audit, NATS event) when the measured cost reached it. */
  alertIfDue(): Promise<void>;
  /** Ledger row of the abort, written in the abort's transaction. */
  recordAbort(tx: Sql): Promise<void>;
  readonly maxCost: number;
}

const round = (n: number): number => Math.round(n * 1e6) / 1e6;

/** Opens the budget of `run`: writes its estimate row once and reads what was accrued before. */
export async function createRunBudget(deps: RunBudgetDeps, run: Run): Promise<RunBudget> {
  const { sql, model } = deps;
  const manifest = run.manifest as Manifest;
  const maxCost = manifest.budget.max_cost;
  const reserved = model.evidence.per_report;
  const ledger = (kind: string, amount: number, details: Record<string, unknown>) => ({
    run_id: run.id,
    environment: run.environment,
    tenant_id: run.tenantId,
    kind,
    amount: round(amount),
    budget: maxCost,
    currency: model.currency,
    cost_model: `v${model.version}`,
    details: sql.json(details as never),
  });
  const estimate = estimateCost(manifest, model);
  await sql`
    INSERT INTO seed.budget_ledger ${sql(ledger("estimate", estimate.total, { ratio: estimate.ratio, breakdown: estimate.breakdown }))}
    ON CONFLICT DO NOTHING`;
  const [row] = await sql<{ measured: string; alerted: boolean }[]>`
    SELECT coalesce(sum(amount) FILTER (WHERE kind = 'measurement'), 0)::text AS measured,
           bool_or(kind = 'alert') IS TRUE AS alerted
      FROM seed.budget_ledger WHERE run_id = ${run.id}`;
  let measured = Number(row?.measured ?? 0);
  // Committed before this budget opened (the planner restarted) and not yet in the ledger: charged
  // by the first accrual. Later batches come from reconcile, one pass at a time, so no pass re-reads
  // the run's whole history.
  const backlog = (
    await sql<{ entity: Entity; batch_index: number; row_count: string }[]>`
      SELECT b.entity, b.batch_index, b.row_count::text
        FROM seed.batches b
       WHERE b.run_id = ${run.id} AND b.state = 'committed' AND b.reused_from_run IS NULL
         AND NOT EXISTS (SELECT 1 FROM seed.budget_ledger l
                          WHERE l.run_id = b.run_id AND l.kind = 'measurement'
                            AND l.details ->> 'batch' = b.entity || '#' || b.batch_index)
       ORDER BY b.committed_at, b.entity, b.batch_index`
  ).map((b) => ({ entity: b.entity, batchIndex: b.batch_index, rows: Number(b.row_count) }));
  let alerted = row?.alerted ?? false;
  let clock = deps.now();

  const spent = () => round(reserved + measured);

  return {
    maxCost,
    spent,
    resumeClock() {
      clock = deps.now();
    },
    async accrue(committed) {
      const pending = [...backlog.splice(0), ...committed];
      if (pending.length === 0) return;
      const at = deps.now();
      const compute = computeCost(model, at - clock);
      clock = at;
      const rows = pending.map((b, i) => {
        const written = rowsCost(manifest, model, b.entity, b.rows);
        const amount = written + (i === 0 ? compute : 0);
        return ledger("measurement", amount, {
          batch: `${b.entity}#${b.batchIndex}`,
          rows: b.rows,
          rows_cost: written,
          compute: i === 0 ? compute : 0,
        });
      });
      const inserted = await sql<{ amount: string }[]>`
        INSERT INTO seed.budget_ledger ${sql(rows)} ON CONFLICT DO NOTHING RETURNING amount::text`;
      measured = round(measured + inserted.reduce((sum, r) => sum + Number(r.amount), 0));
    },
    allows(entity, rows, inFlight) {
      const pendingCompute = computeCost(model, deps.now() - clock);
      const committed = inFlight.reduce((sum, b) => sum + rowsCost(manifest, model, b.entity, b.rows), 0);
      return spent() + pendingCompute + committed + rowsCost(manifest, model, entity, rows) <= maxCost;
    },
    async alertIfDue() {
      if (alerted || spent() < BUDGET_ALERT_RATIO * maxCost) return;
      alerted = true;
      const ratio = round(spent() / maxCost);
      const fresh = await sql.begin(async (tx) => {
        const rows = await tx`
          INSERT INTO seed.budget_ledger ${tx(ledger("alert", spent(), { ratio, threshold: BUDGET_ALERT_RATIO }))}
          ON CONFLICT DO NOTHING RETURNING id`;
        if (rows.length === 0) return false;
        await appendAudit(tx, {
          actor: "planner",
          action: "budget.alert",
          outcome: "success",
          tenantId: run.tenantId,
          environment: run.environment,
          runId: run.id,
          details: { spent: spent(), max_cost: maxCost, currency: model.currency, ratio },
        });
        return true;
      });
      if (!fresh) return;
      deps.log.warn({ spent: spent(), max_cost: maxCost, ratio }, "budget alert: 80 % of the budget spent");
      deps.alerts?.inc({ environment: run.environment, mode: run.mode });
      const payload = {
        run: { id: run.id, tenant: run.tenantId, environment: run.environment },
        spent: spent(),
        max_cost: maxCost,
        currency: model.currency,
        ratio,
      };
      try {
        await deps.js.publish(subjects.budgetAlert(run, deps.events.subjectPrefix), JSON.stringify(payload));
      } catch (error) {
        // The ledger and audit rows hold the alert; a lost event only delays whoever listens.
        deps.log.warn({ err: error }, "budget alert event not published");
      }
    },
    async recordAbort(tx) {
      await tx`
        INSERT INTO seed.budget_ledger ${tx(ledger("abort", spent(), { ratio: round(spent() / maxCost) }))}
        ON CONFLICT DO NOTHING`;
    },
  };
}
