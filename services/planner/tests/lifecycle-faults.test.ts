import { describe, expect, test } from "bun:test";
import { submitPurgeRun } from "@semente/platform/lifecycle";
import { encodePurge, listDlq } from "@semente/platform/pipeline";
import { transitionRun } from "@semente/platform/runs";
import { until } from "./e2e-utils.ts";
import {
  baselineDrained,
  checkpointsOf,
  DEAD,
  DUP,
  ENDED,
  env,
  HALT,
  LOST,
  manifestFor,
  planner,
  purge,
  runRow,
  seedRun,
  tenantHash,
  total,
  seedWithItsOwnSeeder,
  useLifecycleEnv,
} from "./lifecycle-env.ts";
import { bankingCounts, startInProcessSeeder, waitForRun } from "./utils.ts";

useLifecycleEnv("planner_lifecycle_faults", [DEAD, DUP, HALT, LOST]);

describe("planner - purge and reseed runs", () => {
  test("purge run - a purge that cannot succeed is dead-lettered and fails the run; nothing was deleted", async () => {
    const ok = startInProcessSeeder(env, planner.names);
    try {
      expect((await seedRun(manifestFor(DEAD))).done.state).toBe("completed");
    } finally {
      await ok.stop();
    }
    const before = await tenantHash(DEAD);
    // The verification role may not bind a purge: every attempt fails, up to max deliver.
    const broken = startInProcessSeeder(env, planner.names, { purgeSql: env.db.verifierSql });
    try {
      const { id, done } = await purge(DEAD);
      expect(done.state).toBe("failed");
      expect(done.reason?.code).toBe("BATCH_DEAD_LETTERED");
      expect((await runRow(id))?.purged_at).toBeNull();
      expect(await tenantHash(DEAD)).toBe(before);
    } finally {
      await broken.stop();
    }
  }, 90_000);

  test("two deliveries of one purge at once: the copy is dropped while the first holds the run's purge lock; the run completes, rows counted once", async () => {
    await seedWithItsOwnSeeder(DUP);
    const seeded = total(await bankingCounts(env.db.adminSql, DUP));
    const checkpoints = await checkpointsOf(DUP);
    // Two seeders pulling at once; small chunks so that the purge is still going when the copy lands.
    const seeders = [1, 2].map(() => startInProcessSeeder(env, planner.names, { purgeChunkRows: 5 }));
    try {
      const decision = await submitPurgeRun(
        { sql: env.db.appSql, admission: env.admission, now: () => new Date() },
        { tenantId: DUP, environment: "dev", mode: "baseline", principal: "lifecycle-test" },
      );
      const id = decision.run.id;
      for (let i = 0; i < 500; i++) {
        const [row] = await env.db.adminSql<{ n: number }[]>`
          select count(*)::int as n from seed.purge_progress where run_id = ${id}`;
        if ((row?.n ?? 0) > 0) break;
        await Bun.sleep(10);
      }
      // What a planner that restarted does: publish the purge phase again under a fresh id.
      const message = {
        v: 1 as const,
        kind: "purge" as const,
        runId: id,
        environment: "dev",
        tenant: DUP,
        mode: "baseline" as const,
      };
      await env.nats.js.publish(planner.names.batchSubject(message), encodePurge(message), {
        msgID: `${id}:purge:copy`,
      });
      const done = await waitForRun(env.db.appSql, id, ENDED, 60_000);
      expect(done.state).toBe("completed");
      expect(Number((await runRow(id))?.rows_deleted)).toBe(seeded + checkpoints);
      expect(total(await bankingCounts(env.db.adminSql, DUP))).toBe(0);
      expect((await listDlq(env.nats.jsm, planner.names)).filter((r) => r.purge?.runId === id)).toEqual([]);
      // the copy was taken and dropped, not left behind
      await baselineDrained();
      const info = await env.nats.jsm.consumers.info(planner.names.streams.baseline, planner.names.consumers.baseline);
      expect(info.num_pending + info.num_ack_pending).toBe(0);
    } finally {
      await Promise.all(seeders.map((x) => x.stop()));
    }
  }, 120_000);

  test("a purge cancelled before any seeder took it deletes nothing; the seeder drops its message", async () => {
    await seedWithItsOwnSeeder(HALT);
    const before = await tenantHash(HALT);
    const decision = await submitPurgeRun(
      { sql: env.db.appSql, admission: env.admission, now: () => new Date() },
      { tenantId: HALT, environment: "dev", mode: "baseline", principal: "lifecycle-test" },
    );
    await waitForRun(env.db.appSql, decision.run.id, (s) => s === "running");
    await transitionRun(env.db.appSql, decision.run.id, { to: "cancelled", actor: "lifecycle-test" });
    const late = startInProcessSeeder(env, planner.names);
    try {
      await baselineDrained();
      expect(await tenantHash(HALT)).toBe(before);
      expect((await runRow(decision.run.id))?.purged_at).toBeNull();
      // The planner frees the lease once its reconcile loop sees the cancel, not at the cancel.
      await until("the lease freed", async () =>
        (await env.admission.tenantHolder("dev", HALT)) === null ? true : undefined,
      );
      expect(await env.admission.tenantHolder("dev", HALT)).toBeNull();
    } finally {
      await late.stop();
    }
  }, 120_000);

  test("a purge message the broker lost is published again once the phase stalls; the run completes", async () => {
    await seedWithItsOwnSeeder(LOST);
    const decision = await submitPurgeRun(
      { sql: env.db.appSql, admission: env.admission, now: () => new Date() },
      { tenantId: LOST, environment: "dev", mode: "baseline", principal: "lifecycle-test" },
    );
    await waitForRun(env.db.appSql, decision.run.id, (s) => s === "running");
    // The purge message is published once running; lose it before any seeder pulls.
    for (let i = 0; i < 100; i++) {
      if ((await env.nats.jsm.streams.info(planner.names.streams.baseline)).state.messages > 0) break;
      await Bun.sleep(20);
    }
    await env.nats.jsm.streams.purge(planner.names.streams.baseline);
    const seeder = startInProcessSeeder(env, planner.names);
    try {
      const done = await waitForRun(env.db.appSql, decision.run.id, ENDED, 60_000);
      expect(done.state).toBe("completed");
      expect(total(await bankingCounts(env.db.adminSql, LOST))).toBe(0);
    } finally {
      await seeder.stop();
    }
  }, 120_000);
});
