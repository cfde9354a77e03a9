import type { NatsConnection } from "@nats-io/transport-node";
import { type KV, Kvm } from "@nats-io/kv";

/** Base names of the admission buckets (a prefix may precede them). */
export const ADMISSION_BUCKETS = {
  /** Global slots per environment, keys `<env>.slot.<n>`. */
  SLOTS: "SEED_SLOTS",
  /** Tenant × environment leases, keys `<env>.<tenant>`. */
  TENANT_LEASES: "SEED_TENANT_LEASES",
} as const;

/** The two admission buckets. */
export interface AdmissionBuckets {
  slots: KV;
  tenantLeases: KV;
}

/** Options of `openAdmissionBuckets`. */
export interface AdmissionBucketsOptions {
  /** @default "" */
  prefix?: string;
  /**
   * Replicas of each bucket (`NATS_REPLICAS`; 3 on a three-node cluster).
   * @default 1
   */
  replicas?: number;
  slotLeaseTtlMs: number;
  tenantLeaseTtlMs: number;
}

// Bucket-wide max_age only collects garbage left by crashed holders: a live holder rewrites its
// key every ttl/3, so twice the lease TTL never removes a lease someone still renews. Per-key TTLs
// would be ignored by nats-server 2.9, which is why the expiry that matters lives in the value.
async function openBucket(kvm: Kvm, name: string, leaseTtlMs: number, replicas: number): Promise<KV> {
  return kvm.create(name, { history: 1, ttl: Math.max(2 * leaseTtlMs, 1_000), storage: "file", replicas });
}

/** Opens (creating when missing) the slot and tenant lease buckets. */
export async function openAdmissionBuckets(
  nc: NatsConnection,
  options: AdmissionBucketsOptions,
): Promise<AdmissionBuckets> {
  const kvm = new Kvm(nc);
  const prefix = options.prefix ?? "";
  const replicas = options.replicas ?? 1;
  const [slots, tenantLeases] = await Promise.all([
    openBucket(kvm, `${prefix}${ADMISSION_BUCKETS.SLOTS}`, options.slotLeaseTtlMs, replicas),
    openBucket(kvm, `${prefix}${ADMISSION_BUCKETS.TENANT_LEASES}`, options.tenantLeaseTtlMs, replicas),
  ]);
  return { slots, tenantLeases };
}

/** Key of global slot `n` of an environment. */
export function slotKey(environment: string, n: number): string {
  return `${environment}.slot.${n}`;
}

/** Key of the tenant × environment lease. */
export function tenantLeaseKey(environment: string, tenantId: string): string {
  return `${environment}.${tenantId}`;
}
