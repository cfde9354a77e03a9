import { isSementeError, SementeError } from "@semente/core/errors";
import { MIN_RETENTION_DAYS, type WormObjectInfo, type WormStore } from "./worm-types.ts";

const DAY_MS = 86_400_000;

/** Keys are `/`-separated segments of `[A-Za-z0-9._-]`, none `.` or `..`. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/;

/** Throws `VALIDATION_FAILED` unless `key` is a safe relative object key. */
export function assertWormKey(key: string): void {
  const parts = key.split("/");
  if (key.length > 1024 || parts.some((p) => !SEGMENT.test(p) || p === "." || p === "..")) {
    throw new SementeError("VALIDATION_FAILED", "WORM key must be '/'-separated segments of [A-Za-z0-9._-]");
  }
}

/** The WORM key of a run's report: `<environment>/<tenant>/<run id>/evidence.dsse.json`. */
export function evidenceKey(run: { environment: string; tenantId: string; id: string }): string {
  const key = `${run.environment}/${run.tenantId}/${run.id}/evidence.dsse.json`;
  assertWormKey(key);
  return key;
}

/** Throws `CONFIG_INVALID` when `days` is not an integer ≥ {@link MIN_RETENTION_DAYS}. */
export function assertRetentionDays(days: number): void {
  if (!Number.isInteger(days) || days < MIN_RETENTION_DAYS) {
    throw new SementeError(
      "CONFIG_INVALID",
      `WORM retention must be an integer of at least ${MIN_RETENTION_DAYS} days, got ${days}`,
    );
  }
}

/**
 * `now + days` (days ≥ 365), and never before the same instant one calendar year later: across a
 * 29 February, 365 days is short of the index's `created_at + interval '1 year'` check.
 */
export function retainUntil(now: Date, days: number = MIN_RETENTION_DAYS): Date {
  assertRetentionDays(days);
  const byDays = new Date(now.getTime() + days * DAY_MS);
  const oneYear = new Date(now.getTime());
  oneYear.setUTCFullYear(oneYear.getUTCFullYear() + 1);
  return byDays.getTime() >= oneYear.getTime() ? byDays : oneYear;
}

/** Throws `CONFIG_INVALID` when `until` is less than a year after `now` (the floor is never lowered). */
export function assertRetentionFloor(until: Date, now: Date): void {
  if (Number.isNaN(until.getTime()) || until.getTime() < now.getTime() + MIN_RETENTION_DAYS * DAY_MS - 60_000) {
    throw new SementeError("CONFIG_INVALID", `WORM retention must end at least ${MIN_RETENTION_DAYS} days from now`);
  }
}

/**
 * The planner's WORM preflight: resolves when `store` is usable, otherwise throws
 * `WORM_UNAVAILABLE` (fail-closed, before any data write). Any other failure is mapped to
 * `WORM_UNAVAILABLE` too, so the run is refused with that one problem type.
 */
export async function assertWormAvailable(store: WormStore): Promise<void> {
  try {
    await store.preflight();
  } catch (error) {
    if (isSementeError(error) && error.code === "WORM_UNAVAILABLE") throw error;
    throw new SementeError("WORM_UNAVAILABLE", `WORM storage (${store.kind}) failed its preflight`, {
      cause: error,
      retryable: true,
      extensions: { storage: store.kind },
    });
  }
}

/** Deletion guard shared by the WORM backends: missing → NOT_FOUND, still retained → WORM_CONFLICT. */
export function assertRemovable(key: string, info: WormObjectInfo | null, now: Date): void {
  if (info === null) throw new SementeError("NOT_FOUND", `WORM object ${key} not found`);
  if (info.retainUntil.getTime() > now.getTime()) {
    throw new SementeError(
      "WORM_CONFLICT",
      `WORM object ${key} is retained until ${info.retainUntil.toISOString()}; deletion refused`,
      { extensions: { key, retain_until: info.retainUntil.toISOString() } },
    );
  }
}
