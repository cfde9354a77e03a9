import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectNats } from "../../src/bus/index.ts";
import { createDatasetCleaner, tenantDatasets } from "../../src/lifecycle/index.ts";
import { getRun, transitionRun } from "../../src/runs/index.ts";
import { testAdmission } from "../admission/admission-helpers.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { createTestNats, type TestNats } from "../nats-harness.ts";

let db: TestDatabase;
let nats: TestNats;

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase("datasets"), createTestNats("datasets")]);
});
afterAll(async () => {
  await Promise.all([db.drop(), nats.cleanup()]);
});

const DAY = 86_400_000;

/** A run of `tenant` in staging, running, then completed by the control plane as the planner does. */
async function completedRun(
  tenant: string,
  mode: "baseline" | "load" | "dr",
  options: { dryRun?: boolean; operation?: "seed" | "reseed"; ttl?: string } = {},
): Promise<string> {
  const id = crypto.randomUUID();
  const manifest = { ttl: { baseline: "P30D", load: options.ttl ?? "P7D", dr: "P1W" } };
  await db.adminSql`
    insert into seed.runs (id, environment, tenant_id, mode, operation, dry_run, state, manifest_hash, manifest_version,
                           manifest, reference_datetime, key_version, principal, started_at, rows_written)
    values (${id}, 'staging', ${tenant}, ${mode}, ${options.operation ?? "seed"}, ${options.dryRun ?? false}, 'running',
            ${"c".repeat(64)}, '1', ${db.adminSql.json(manifest)}, '2025-01-01T00:00:00Z', 1, 'test', now(), 42)`;
  await transitionRun(db.appSql, id, { to: "completed", patch: { datasetDigest: "d".repeat(64), rowsWritten: 42 } });
  return id;
}

describe("lifecycle - dataset registry", () => {
  test("registry - a completed load run opens a dataset that expires after its ttl; baseline never expires; a dry run registers nothing", async () => {
    const load = await completedRun("reg-load", "load", { ttl: "P2DT12H" });
    const [dataset] = await tenantDatasets(db.appSql, "reg-load", "staging");
    const run = await getRun(db.appSql, load);
    expect(dataset).toMatchObject({
      runId: load,
      mode: "load",
      ttl: "P2DT12H",
      rowsWritten: 42,
      datasetDigest: "d".repeat(64),
      closedAt: null,
      cleanupRunId: null,
    });
    expect(dataset?.createdAt.getTime()).toBe(run?.finishedAt?.getTime());
    expect((dataset?.expiresAt?.getTime() ?? 0) - (dataset?.createdAt.getTime() ?? 0)).toBe(2.5 * DAY);

    // Only the manifest's TTL form counts; an overflow or a malformed ttl leaves no expiry rather
    // than blocking the run's completion.
    const [expiry] = await db.adminSql<{ week: Date; bad: Date | null; empty: Date | null; huge: Date | null }[]>`
      select seed.dataset_expiry('dr', 'P1W', '2025-01-01T00:00:00Z') as week,
             seed.dataset_expiry('load', 'P1D; select 1', now()) as bad, seed.dataset_expiry('load', 'PT', now()) as empty,
             seed.dataset_expiry('load', 'P99999999999999D', now()) as huge`;
    expect(expiry).toEqual({ week: new Date("2025-01-08T00:00:00Z"), bad: null, empty: null, huge: null });
    await completedRun("reg-huge", "load", { ttl: "P99999999999999D" });
    expect((await tenantDatasets(db.appSql, "reg-huge", "staging"))[0]).toMatchObject({ expiresAt: null });

    await completedRun("reg-base", "baseline");
    expect((await tenantDatasets(db.appSql, "reg-base", "staging"))[0]?.expiresAt).toBeNull();
    await completedRun("reg-dry", "load", { dryRun: true });
    expect(await tenantDatasets(db.appSql, "reg-dry", "staging")).toEqual([]);
  });

  test("registry - a later run's dataset replaces the open one; the end of a purge phase closes it", async () => {
    const first = await completedRun("reg-co", "dr");
    const second = await completedRun("reg-co", "dr", { operation: "reseed" });
    const [newest, oldest] = await tenantDatasets(db.appSql, "reg-co", "staging");
    expect(oldest).toMatchObject({ runId: first, closedByRun: second, closedReason: "replaced" });
    expect(newest).toMatchObject({ runId: second, closedAt: null });
    expect((newest?.expiresAt?.getTime() ?? 0) - (newest?.createdAt.getTime() ?? 0)).toBe(7 * DAY);

    const purge = crypto.randomUUID();
    await db.adminSql`
      insert into seed.runs (id, environment, tenant_id, mode, operation, state, manifest_hash, manifest_version,
                             manifest, reference_datetime, key_version, principal, started_at)
      values (${purge}, 'staging', 'reg-co', 'dr', 'purge', 'running', ${"e".repeat(64)}, 'purge-request/v1', '{}',
              '2025-01-01T00:00:00Z', 1, 'test', now())`;
    await db.adminSql`update seed.runs set purged_at = now(), rows_deleted = 42 where id = ${purge}`;
    const [closed] = await tenantDatasets(db.appSql, "reg-co", "staging");
    expect(closed).toMatchObject({ runId: second, closedByRun: purge, closedReason: "purged" });
    expect(closed?.closedAt).not.toBeNull();
    // the control plane may only record the clean-up run
    await expect(db.appSql`update seed.datasets set closed_at = null`).rejects.toMatchObject({ code: "42501" });
    await expect(db.appSql`delete from seed.datasets`).rejects.toMatchObject({ code: "42501" });
    await expect(
      db.appSql`insert into seed.datasets (tenant_id, environment, mode, run_id, manifest_hash, rows_written, created_at)
                values ('reg-forged', 'staging', 'load', ${purge}, ${"a".repeat(64)}, 1, now())`,
    ).rejects.toMatchObject({ code: "42501" });
  });

  test("cleanup - the job purges the expired dataset only, once, audited; it retries after a failed purge and while the tenant is held", async () => {
    const admission = await testAdmission(db, nats, { holderId: "ttl", scope: "ttl" });
    const expired = await completedRun("ttl-old", "load", { ttl: "P1D" });
    await completedRun("ttl-new", "load", { ttl: "P30D" });
    let clock = new Date(Date.now() + 2 * DAY);
    const cleaner = createDatasetCleaner({ sql: db.appSql, admission, now: () => clock, intervalMs: 60_000 });

    const [outcome, ...others] = (await cleaner.tick()) ?? [];
    expect(others).toEqual([]);
    expect(outcome).toMatchObject({ tenantId: "ttl-old", environment: "staging", mode: "load" });
    const purge = await getRun(db.appSql, outcome?.purgeRunId ?? "");
    expect(purge).toMatchObject({ operation: "purge", tenantId: "ttl-old", mode: "load", state: "admitted" });
    expect(purge?.principal).toBe("ttl-cleanup");
    const [dataset] = await tenantDatasets(db.appSql, "ttl-old", "staging");
    expect(dataset).toMatchObject({ runId: expired, cleanupRunId: purge?.id, closedAt: null });
    expect((await tenantDatasets(db.appSql, "ttl-new", "staging"))[0]?.cleanupRunId).toBeNull();
    const audit = await db.adminSql<{ outcome: string; run_id: string; details: { dataset_run: string } }[]>`
      select outcome, run_id, details from seed.audit_log where action = 'dataset.expire' order by id`;
    expect(audit.map((a) => [a.outcome, a.run_id, a.details.dataset_run])).toEqual([
      ["success", purge?.id ?? "", expired],
    ]);

    // Not due yet by the injected clock; then due, but the purge is in flight: nothing new.
    expect(await cleaner.tick()).toBeNull();
    clock = new Date(clock.getTime() + 61_000);
    expect(await cleaner.tick()).toEqual([]);

    // The purge failed: the next pass submits another (a failed run's lease is released first).
    await transitionRun(db.appSql, purge?.id ?? "", { to: "failed" });
    await admission.release(purge?.id ?? "");
    const [again] = await cleaner.clean();
    expect(again?.purgeRunId).toBeDefined();
    expect(again?.purgeRunId).not.toBe(purge?.id);

    // While that one holds the tenant, a second cleaner (another planner) is refused and audits it.
    await transitionRun(db.appSql, again?.purgeRunId ?? "", { to: "failed" });
    const holder = await completedRun("ttl-held", "load", { ttl: "P1D" });
    const running = crypto.randomUUID();
    await db.adminSql`
      insert into seed.runs (id, environment, tenant_id, mode, state, manifest_hash, manifest_version, manifest,
                             reference_datetime, key_version, principal, started_at)
      values (${running}, 'staging', 'ttl-held', 'load', 'running', ${"f".repeat(64)}, '1', '{}',
              '2025-01-01T00:00:00Z', 1, 'test', now())`;
    const refused = (await cleaner.clean()).find((o) => o.tenantId === "ttl-held");
    expect(refused).toMatchObject({ refused: "LEASE_HELD" });
    expect(refused?.purgeRunId).toBeUndefined();
    expect((await tenantDatasets(db.appSql, "ttl-held", "staging"))[0]).toMatchObject({
      runId: holder,
      cleanupRunId: null,
    });
    const [refusal] = await db.adminSql<{ reason: string }[]>`
      select reason from seed.audit_log where action = 'dataset.expire' and outcome = 'refused'`;
    expect(refusal?.reason).toBe("LEASE_HELD");
  });

  test("cleanup - with the broker gone the pass fails without leaving a purge run or marking the dataset; the next pass purges", async () => {
    const closed = await connectNats({ servers: nats.url, name: "datasets-closed" });
    const live = await testAdmission(db, nats, { holderId: "ttl-down", scope: "down" });
    const down = await testAdmission(db, nats, { holderId: "ttl-down", scope: "down", nc: closed });
    await closed.close();
    await completedRun("ttl-down", "load", { ttl: "P1D" });
    const clock = () => new Date(Date.now() + 2 * DAY);
    const before = await db.adminSql<
      { n: number }[]
    >`select count(*)::int as n from seed.runs where tenant_id = 'ttl-down'`;
    const failing = createDatasetCleaner({ sql: db.appSql, admission: down, now: clock });
    await expect(failing.clean()).rejects.toBeDefined();
    const after = await db.adminSql<
      { n: number }[]
    >`select count(*)::int as n from seed.runs where tenant_id = 'ttl-down'`;
    expect(after[0]?.n).toBe(before[0]?.n ?? -1);
    expect((await tenantDatasets(db.appSql, "ttl-down", "staging"))[0]?.cleanupRunId).toBeNull();

    const [outcome] = (await createDatasetCleaner({ sql: db.appSql, admission: live, now: clock }).clean()).filter(
      (o) => o.tenantId === "ttl-down",
    );
    expect(outcome?.purgeRunId).toBeDefined();
  });
});
