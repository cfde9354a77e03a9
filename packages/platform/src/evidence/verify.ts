import type { Sql } from "../db/index.ts";
import { SementeError } from "@semente/core/errors";
import type { KeyPublic } from "../keys/index.ts";
import { canonicalJson } from "@semente/core/manifest";
import { requireRun, type Run } from "../runs/index.ts";
import { recomputeDatasetDigest } from "./build.ts";
import { readDrillEvidence, reportDr } from "./drill.ts";
import { readCheckpoints } from "./facts.ts";
import { parseEnvelope, sha256Hex, verifyEnvelope } from "./dsse.ts";
import { emptiedDigest } from "./purge.ts";
import { assertEvidenceReport } from "./schema.ts";
import type { EvidenceReport } from "./report-types.ts";
import type { EvidenceIndexEntry } from "./types.ts";

/** Options of {@link verifyEvidence}. */
export interface VerifyEvidenceOptions {
  /** The stored envelope bytes (a file or the WORM object). */
  bytes: Uint8Array;
  publicKey: KeyPublic;
  /** The run's index row: its object and payload hashes must match. */
  index?: EvidenceIndexEntry;
  /** When given, the dataset digest is recomputed from the run's checkpoints and compared. */
  sql?: Sql;
}

/** What {@link verifyEvidence} established. */
export interface EvidenceVerification {
  report: EvidenceReport;
  /** Hex SHA-256 of the envelope bytes. */
  sha256: string;
  /** Hex SHA-256 of the canonical report. */
  payloadSha256: string;
  keyId: string;
  /** The digest recomputed from the database, when `sql` was given. */
  recomputedDigest: string | null;
}

const fail = (message: string, pointer = ""): SementeError =>
  new SementeError("EVIDENCE_INVALID", message, { errors: [{ pointer, message }] });

/** A drill's `dr` section, derived again from `seed.dr_drills` and the run's checkpoints, must be the report's. */
async function assertDrillRecorded(
  sql: Sql,
  run: Run,
  report: EvidenceReport,
  checkpoints: Awaited<ReturnType<typeof readCheckpoints>>,
): Promise<void> {
  const drill = await readDrillEvidence(sql, run, checkpoints);
  const derived = drill === null ? undefined : canonicalJson(reportDr(drill));
  if (derived !== (report.dr === undefined ? undefined : canonicalJson(report.dr))) {
    throw fail("DR drill mismatch: the report's dr section differs from the drill recorded in seed.dr_drills", "/dr");
  }
}

/**
 * Verifies a stored report: envelope hash against the index, DSSE signature, canonical form and
 * schema of the payload, payload hash against the index, and the dataset digest recomputed from
 * `seed.checkpoints` (equal to the report's and, for a completed run, to `seed.runs.dataset_digest`). The first failure throws `EVIDENCE_INVALID` with a message naming it.
 */
export async function verifyEvidence(options: VerifyEvidenceOptions): Promise<EvidenceVerification> {
  const sha256 = sha256Hex(options.bytes);
  if (options.index !== undefined && sha256 !== options.index.sha256) {
    throw fail(`hash mismatch: the envelope's sha256 ${sha256} differs from the indexed ${options.index.sha256}`);
  }
  const envelope = parseEnvelope(options.bytes);
  const verified = verifyEnvelope(envelope, options.publicKey);
  const text = new TextDecoder().decode(verified.payload);
  const report = parseSignedJson(text);
  if (canonicalJson(report) !== text) throw fail("the signed payload is not in RFC 8785 canonical form", "/payload");
  assertEvidenceReport(report, "EVIDENCE_INVALID");
  if (options.index !== undefined && options.index.payloadSha256 !== "") {
    if (verified.payloadSha256 !== options.index.payloadSha256) {
      throw fail("hash mismatch: the report's sha256 differs from the indexed payload hash", "/payload");
    }
  }
  const recomputedDigest = options.sql === undefined ? null : await verifyDataset(options.sql, report);
  return { report, sha256, payloadSha256: verified.payloadSha256, keyId: verified.keyId, recomputedDigest };
}

/** The signed payload parsed as JSON. */
function parseSignedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A signed payload that is not JSON cannot come from us; the parser's message would quote it.
    throw fail("the signed payload is not JSON", "/payload");
  }
}

/**
 * The dataset digest recomputed from the database's checkpoints (for a purge, of the emptied
 * tenant), checked against the report's and, for a completed run, the run's recorded digest; and
 * a drill's report against the drill recorded.
 */
async function verifyDataset(sql: Sql, report: EvidenceReport): Promise<string | null> {
  const run = await requireRun(sql, report.run.id);
  const checkpoints = await readCheckpoints(sql, { id: report.run.id, tenantId: report.run.tenant });
  // A purge's data is the emptied tenant: the digest of no data once the database closed the phase.
  const recomputedDigest =
    run.operation === "purge" ? emptiedDigest(run.purgedAt) : recomputeDatasetDigest(checkpoints);
  if (recomputedDigest !== report.dataset.digest) {
    throw fail(
      `dataset digest mismatch: the report says ${report.dataset.digest ?? "none"}, the database's ${checkpoints.length} checkpoint(s) give ${recomputedDigest ?? "none"}`,
      "/dataset/digest",
    );
  }
  if (run.state === "completed" && `sha256:${run.datasetDigest}` !== recomputedDigest) {
    throw fail(
      `dataset digest mismatch: the run recorded sha256:${run.datasetDigest ?? "none"}, its checkpoints give ${recomputedDigest ?? "none"}`,
      "/dataset/recorded_digest",
    );
  }
  await assertDrillRecorded(sql, run, report, checkpoints);
  return recomputedDigest;
}
