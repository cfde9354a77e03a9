import { appendAudit, type Sql } from "../db/index.ts";
import { isSementeError, SementeError } from "@semente/core/errors";
import type { KeyScope } from "../keys/index.ts";
import { canonicalJson } from "@semente/core/manifest";
import { requireRun, type Run } from "../runs/index.ts";
import { type Logger, withLabels } from "../telemetry/index.ts";
import { buildReport } from "./build.ts";
import { recordEvidenceKey } from "./keys.ts";
import { canonicalReportBytes, parseEnvelope, sha256Hex, signEnvelope, verifyEnvelope } from "./dsse.ts";
import { assertNoPiiOrSecrets } from "./scan.ts";
import { assertEvidenceReport } from "./schema.ts";
import type { EvidenceReport } from "./report-types.ts";
import {
  EVIDENCE_PAYLOAD_TYPE,
  type EvidenceIndexEntry,
  type EvidenceService,
  type EvidenceServiceOptions,
} from "./types.ts";
import { MIN_RETENTION_DAYS, type WormObjectInfo } from "./worm-types.ts";
import { assertRetentionDays, evidenceKey, retainUntil } from "./worm.ts";

interface IndexRow {
  run_id: string;
  location: string;
  sha256: string;
  payload_sha256: string | null;
  size_bytes: string;
  signature_key_id: string;
  storage: "filesystem" | "s3";
  retain_until: Date;
  verified_at: Date | null;
  created_at: Date;
}

function toEntry(row: IndexRow): EvidenceIndexEntry {
  return {
    runId: row.run_id,
    location: row.location,
    sha256: row.sha256,
    payloadSha256: row.payload_sha256 ?? "",
    sizeBytes: Number(row.size_bytes),
    signatureKeyId: row.signature_key_id,
    storage: row.storage,
    retainUntil: row.retain_until,
    verifiedAt: row.verified_at,
    createdAt: row.created_at,
  };
}

/** The index row of a run's evidence, or null. */
export async function findEvidence(sql: Sql, runId: string): Promise<EvidenceIndexEntry | null> {
  const rows = await sql<IndexRow[]>`
    select run_id, location, sha256, payload_sha256, size_bytes, signature_key_id, storage, retain_until,
           verified_at, created_at
    from seed.evidence_index where run_id = ${runId}`;
  return rows[0] === undefined ? null : toEntry(rows[0]);
}

const encoder = new TextEncoder();
const scopeOf = (run: Run): KeyScope => ({ environment: run.environment, tenant: run.tenantId });

/**
 * The evidence service: `produce(runId)` builds the report, scans it for PII and secrets, signs it
 * (DSSE, Ed25519 via the key provider), writes the envelope once to WORM storage, reads it back and
 * verifies hash and signature, then indexes it in `seed.evidence_index`. Exactly one report per
 * run: an indexed run is returned as is; an object left in WORM by a crashed attempt is verified
 * and indexed instead of written again. Every ending gets a report — completed, failed, aborted,
 * cancelled (even before it started: zero counts, no digest); only dry runs store nothing.
 */
export function createEvidenceService(options: EvidenceServiceOptions): EvidenceService {
  const { sql, store, keys } = options;
  const now = options.now ?? (() => new Date()); // clock-ok: evidence records real time, not generated data
  const retentionDays = options.retentionDays ?? MIN_RETENTION_DAYS;
  assertRetentionDays(retentionDays);

  /** Reads the stored object back and checks its hash, signature and that it reports `run`. */
  const verifyStored = async (run: Run, key: string, expectedSha256: string | null) => {
    const bytes = await store.get(key);
    const sha256 = sha256Hex(bytes);
    if (expectedSha256 !== null && sha256 !== expectedSha256) {
      throw new SementeError("EVIDENCE_INVALID", `stored evidence ${key} differs from what was written (hash)`);
    }
    const envelope = parseEnvelope(bytes);
    const publicKey = await keys.publicKey(scopeOf(run));
    const verified = verifyEnvelope(envelope, publicKey);
    const report: unknown = JSON.parse(new TextDecoder().decode(verified.payload));
    assertEvidenceReport(report, "EVIDENCE_INVALID");
    if (report.run.id !== run.id)
      throw new SementeError("EVIDENCE_INVALID", `stored evidence ${key} is for another run`);
    return { bytes, sha256, envelope, verified, report, publicKeyPem: publicKey.publicKeyPem };
  };

  const index = async (
    run: Run,
    info: WormObjectInfo,
    stored: Awaited<ReturnType<typeof verifyStored>>,
  ): Promise<EvidenceIndexEntry> => {
    const report = stored.report as EvidenceReport;
    // The report's own generation time: an adopted copy from an earlier attempt keeps its retention rule.
    const createdAt = new Date(report.timestamps.generated_at);
    const digest = report.dataset.digest?.replace(/^sha256:/, "") ?? null;
    // The key before the index row: a published report's key is always in the JWKS.
    await recordEvidenceKey(sql, stored.verified.keyId, stored.publicKeyPem);
    await sql`
      insert into seed.evidence_index (run_id, location, sha256, size_bytes, signature, signature_alg,
        signature_key_id, storage, environment, tenant_id, retain_until, verified_at, created_at, payload_sha256,
        payload_type, envelope, dataset_digest)
      values (${run.id}, ${info.location}, ${stored.sha256}, ${stored.bytes.length},
        ${stored.envelope.signatures[0]?.sig ?? ""}, 'ed25519', ${stored.verified.keyId}, ${store.kind},
        ${run.environment}, ${run.tenantId}, ${info.retainUntil}, ${now()}, ${createdAt},
        ${stored.verified.payloadSha256}, ${stored.envelope.payloadType}, ${sql.json(stored.envelope as never)}, ${digest})
      on conflict (run_id) do nothing`;
    const entry = await findEvidence(sql, run.id);
    if (entry === null) throw new SementeError("INTERNAL", `evidence index row of run ${run.id} vanished`);
    return entry;
  };

  /**
   * Writes the envelope once and reads it back; when a previous attempt wrote the object and stopped
   * before indexing it (WORM_CONFLICT), verifies and adopts that copy instead.
   */
  const putOrAdopt = async (run: Run, bytes: Uint8Array, sha256: string, createdAt: Date, log: Logger) => {
    const key = evidenceKey(run);
    try {
      const info = await store.put(key, bytes, { retainUntil: retainUntil(createdAt, retentionDays), sha256 });
      return { info, stored: await verifyStored(run, key, sha256) };
    } catch (error) {
      if (!isSementeError(error) || error.code !== "WORM_CONFLICT") throw error;
      // A previous attempt wrote the object and stopped before indexing it: adopt that copy.
      const head = await store.head(key);
      if (head === null) throw error;
      const stored = await verifyStored(run, key, head.sha256);
      log.warn({ key }, "evidence already in WORM storage: verified and indexed the existing copy");
      return { info: head, stored };
    }
  };

  return {
    find: (runId) => findEvidence(sql, runId),
    async produce(runId) {
      const existing = await findEvidence(sql, runId);
      if (existing !== null) return { status: "existing", entry: existing };
      const run = await requireRun(sql, runId);
      const log = withLabels(options.log, { tenant: run.tenantId, environment: run.environment, run: run.id });
      if (run.dryRun) {
        log.info("dry run: no evidence is stored");
        return { status: "skipped", reason: "dry_run" };
      }
      if (keys.kind === "local-dev" && run.environment !== "dev") {
        throw new SementeError(
          "DEV_KEY_FORBIDDEN",
          `the local dev key cannot sign evidence of a ${run.environment} run`,
        );
      }
      const createdAt = now();
      const report = await buildReport({ sql, runId, costModel: options.costModel, now: () => createdAt });
      assertEvidenceReport(report);
      assertNoPiiOrSecrets(report);
      const payload = canonicalReportBytes(report);
      const envelope = await signEnvelope(keys, scopeOf(run), payload, EVIDENCE_PAYLOAD_TYPE);
      const bytes = encoder.encode(canonicalJson(envelope));
      const sha256 = sha256Hex(bytes);
      const { info, stored } = await putOrAdopt(run, bytes, sha256, createdAt, log);
      const entry = await index(run, info, stored);
      await appendAudit(sql, {
        actor: "evidence",
        action: "evidence.store",
        outcome: "success",
        tenantId: run.tenantId,
        environment: run.environment,
        runId: run.id,
        details: { location: entry.location, sha256: entry.sha256, key_id: entry.signatureKeyId, storage: store.kind },
      });
      log.info({ location: entry.location, sha256: entry.sha256 }, "evidence stored, verified and indexed");
      return { status: "stored", entry, envelope: stored.envelope };
    },
  };
}
