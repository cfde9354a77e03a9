/**
 * Shared setup of the planner's purge and reseed tests: one tenant per test, a planner whose purge
 * phase is republished after 2 s without progress, and the steps the tests share.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { until } from "./e2e-utils.ts";
import { createHash } from "node:crypto";
import { submitPurgeRun } from "@semente/platform/lifecycle";
import type { Manifest } from "@semente/core/manifest";
import { snapshotTenant } from "../../../packages/platform/tests/lifecycle/utils.ts";
import type { Planner } from "../src/planner.ts";
import {
  admittedRun,
  createPlannerTestEnv,
  OPEN_WINDOW,
  type PlannerTestEnv,
  profile,
  smallManifest,
  startInProcessSeeder,
  startTestPlanner,
  waitForRun,
} from "./utils.ts";

export const A = "l-alfa";
export const B = "l-beta";
export const LOAD = "l-carga";
export const DEAD = "l-morto";
export const DUP = "l-duplo";
export const HALT = "l-parado";
export const LOST = "l-perdido";
export const ENDED = (s: string) => ["completed", "failed", "aborted", "cancelled"].includes(s);

/** The test environment and planner of the current test file (live bindings, set by {@link useLifecycleEnv}). */
export let env: PlannerTestEnv;
export let planner: Planner;

const WINDOW = OPEN_WINDOW;

export function manifestFor(tenant: string, overrides: Partial<Manifest> = {}, environment = "dev"): Manifest {
  const base = profile(environment, "banco-alfa");
  return smallManifest(base, { metadata: { ...base.metadata, tenant }, batch_size: 100, window: WINDOW, ...overrides });
}

/** sha256 of every row of the tenant (banking tables and checkpoints) as text. */
export async function tenantHash(tenant: string): Promise<string> {
  return createHash("sha256")
    .update(JSON.stringify(await snapshotTenant(env.db, tenant)))
    .digest("hex");
}

export async function seedRun(manifest: Manifest, operation?: "seed" | "reseed") {
  const run = await admittedRun(env.db.appSql, manifest, { operation });
  return { id: run.id, done: await waitForRun(env.db.appSql, run.id, ENDED, 30_000) };
}

export async function purge(tenant: string, mode: "baseline" | "load" = "baseline", environment = "dev") {
  const decision = await submitPurgeRun(
    { sql: env.db.appSql, admission: env.admission, now: () => new Date() },
    { tenantId: tenant, environment, mode, principal: "lifecycle-test" },
  );
  return { id: decision.run.id, done: await waitForRun(env.db.appSql, decision.run.id, ENDED, 30_000) };
}

export async function runRow(id: string) {
  const [row] = await env.db.adminSql<{ operation: string; rows_deleted: string | null; purged_at: Date | null }[]>`
    select operation, rows_deleted::text, purged_at from seed.runs where id = ${id}`;
  return row;
}

export async function checkpointsOf(tenant: string): Promise<number> {
  const [row] = await env.db.adminSql<{ n: number }[]>`
    select count(*)::int as n from seed.checkpoints where tenant_id = ${tenant}`;
  return row?.n ?? 0;
}

export const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Starts the environment and planner before the file's tests and stops them after. */
export function useLifecycleEnv(database: string, tenants: readonly string[], staging: readonly string[] = []): void {
  beforeAll(async () => {
    env = await createPlannerTestEnv(database, tenants);
    for (const tenant of staging) env.vault.createKey(`semente-fpe-staging-${tenant}`);
    // A purge phase without progress for 2 s is published again (the lost-message test).
    planner = await startTestPlanner(env, 3, {}, { purgeStallMs: 2_000 });
  });
  afterAll(async () => {
    await planner.stop();
    await env.cleanup();
  });
}

/** Seeds `tenant` to completion with a seeder started for that run alone (stopped after it). */
export async function seedWithItsOwnSeeder(tenant: string): Promise<void> {
  const warm = startInProcessSeeder(env, planner.names);
  try {
    expect((await seedRun(manifestFor(tenant))).done.state).toBe("completed");
  } finally {
    await warm.stop();
  }
}

/** Waits until the baseline work queue holds nothing pending or unacknowledged (30 s at most). */
export async function baselineDrained(): Promise<void> {
  await until("the baseline work queue drained", async () => {
    const info = await env.nats.jsm.consumers.info(planner.names.streams.baseline, planner.names.consumers.baseline);
    return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
  });
}
