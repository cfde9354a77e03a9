import { type AdmissionBuckets, openAdmissionBuckets } from "../../src/bus/index.ts";
import { type Admission, type AdmissionOptions, createAdmission } from "../../src/admission/index.ts";
import type { TestDatabase } from "../harness.ts";
import type { TestNats } from "../nats-harness.ts";

/** An admission instance wired to the test database and NATS prefixes. */
export function testAdmission(
  db: TestDatabase,
  nats: TestNats,
  options: Partial<AdmissionOptions> & { holderId: string; scope: string },
): Promise<Admission> {
  const { scope, ...rest } = options;
  return createAdmission({
    nc: nats.nc,
    sql: db.appSql,
    bucketPrefix: `${nats.prefix}${scope}_`,
    events: runEventsFor(nats),
    ...rest,
  });
}

/** The run events stream and subject prefix of a test file. */
export function runEventsFor(nats: TestNats): { streamName: string; subjectPrefix: string } {
  return { streamName: `${nats.prefix}SEED_RUNS`, subjectPrefix: nats.subjectPrefix };
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes; returns the elapsed ms. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started;
    await Bun.sleep(50);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/** The admission buckets of a test scope (opened, not re-created: the TTLs come from the first opener). */
export function bucketsFor(nats: TestNats, scope: string): Promise<AdmissionBuckets> {
  return openAdmissionBuckets(nats.nc, {
    prefix: `${nats.prefix}${scope}_`,
    slotLeaseTtlMs: 60_000,
    tenantLeaseTtlMs: 60_000,
  });
}
