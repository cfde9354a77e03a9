import type { Sql } from "../../src/db/index.ts";
import { createRun, type NewRun, type Run } from "../../src/runs/index.ts";

let counter = 0;

/** A valid `NewRun` for tests; override what the test is about. */
export function newRun(overrides: Partial<NewRun> = {}): NewRun {
  counter += 1;
  return {
    environment: "staging",
    tenantId: "acme",
    mode: "baseline",
    dryRun: false,
    manifestHash: counter.toString(16).padStart(64, "0"),
    manifestVersion: "1",
    manifest: { metadata: { environment: overrides.environment ?? "staging", tenant: overrides.tenantId ?? "acme" } },
    referenceDatetime: "2025-01-01T00:00:00Z",
    keyVersion: 1,
    principal: "tester",
    queuedUntil: new Date("2100-01-01T00:00:00Z"),
    ...overrides,
  };
}

/** Inserts a queued run. */
export function insertRun(sql: Sql, overrides: Partial<NewRun> = {}): Promise<Run> {
  return createRun(sql, newRun(overrides));
}
