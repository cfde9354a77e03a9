import type { Sql } from "../db/index.ts";
import { SementeError } from "@semente/core/errors";
import type { AdmissionBuckets } from "../bus/buckets.ts";
import type { AdmissionOptions, PromoteResult } from "./types.ts";

/** What every part of one admission controller shares: its settings, buckets and clock. */
export interface AdmissionContext {
  sql: Sql;
  buckets: AdmissionBuckets;
  holderId: string;
  globalSlots: number;
  tenantLeaseTtlMs: number;
  slotLeaseTtlMs: number;
  queueTtlMs: number;
  heartbeatMs: number;
  sweepMs: number;
  actor: string;
  onError: (error: unknown) => void;
  /** Wall-clock milliseconds: leases coordinate live processes, not generated data. */
  now(): number;
}

/** The settings of {@link AdmissionContext} from the options, defaults applied and checked. */
export function admissionSettings(options: AdmissionOptions) {
  const globalSlots = options.globalSlots ?? 2;
  const tenantLeaseTtlMs = options.tenantLeaseTtlMs ?? 60_000;
  const slotLeaseTtlMs = options.slotLeaseTtlMs ?? 60_000;
  if (!Number.isInteger(globalSlots) || globalSlots < 1) {
    throw new SementeError("CONFIG_INVALID", "globalSlots must be a positive integer");
  }
  return {
    globalSlots,
    tenantLeaseTtlMs,
    slotLeaseTtlMs,
    queueTtlMs: options.queueTtlMs ?? 300_000,
    heartbeatMs: options.heartbeatMs ?? Math.floor(Math.min(tenantLeaseTtlMs, slotLeaseTtlMs) / 3),
    sweepMs: options.sweepMs ?? 1_000,
    actor: options.actor ?? "gateway",
    onError: options.onError ?? (() => undefined),
  };
}

/** The problem-document instance of a run. */
export function runInstance(runId: string): string {
  return `/api/v1/seed-runs/${runId}`;
}

export function emptyResult(): PromoteResult {
  return { admitted: [], expired: [], failed: [] };
}

export function mergeResults(into: PromoteResult, from: PromoteResult): PromoteResult {
  into.admitted.push(...from.admitted);
  into.expired.push(...from.expired);
  into.failed.push(...from.failed);
  return into;
}
