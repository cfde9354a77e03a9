import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadConfig, str } from "@semente/platform/config";
import { createSql, type Sql } from "@semente/platform/db";
import { SementeError } from "@semente/core/errors";
import {
  type EvidenceIndexEntry,
  type EvidenceReport,
  findEvidence,
  parseEnvelope,
  readWormLocation,
  verifyEvidence,
  type WormReadOptions,
} from "@semente/platform/evidence";
import type { KeyPublic } from "@semente/platform/keys";
import { isManifest } from "@semente/core/manifest";
import { KEY_PROVIDER_VARS, keyProviderFromConfig } from "@semente/platform/pipeline";
import { requireRun } from "@semente/platform/runs";
import { type RowVerification, verifyRows } from "@semente/platform/verify";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { APP_DATABASE_URL } from "./seed.ts";
import {
  generationContextFor,
  parseSample,
  rowProblems,
  rowSummary,
  VERIFIER_DATABASE_URL,
  verificationSql,
} from "./verify.ts";
import { out, UsageError } from "../io.ts";

const VARS = {
  SEMENTE_APP_DATABASE_URL: APP_DATABASE_URL,
  SEMENTE_VERIFIER_DATABASE_URL: VERIFIER_DATABASE_URL,
  EVIDENCE_S3_ENDPOINT: str("S3-compatible endpoint of s3:// evidence locations; empty for AWS", ""),
  EVIDENCE_S3_REGION: str("S3 region of s3:// evidence locations", "us-east-1"),
  ...KEY_PROVIDER_VARS,
};

const USAGE = `usage: semente evidence verify <file | run-id> [--public-key <jwks | pem>] [--sample <fraction>] [--offline] [--json]

Verifies a signed evidence report (a DSSE envelope): its hash against seed.evidence_index, the
Ed25519 signature, the report schema, the dataset digest recomputed from seed.checkpoints and
recorded by the run; then, for a completed run, re-reads every row of the run's tenant in one
REPEATABLE READ READ ONLY snapshot (under RLS) and compares it value by value with the dataset
regenerated from the run's manifest (--sample <fraction>: a deterministic fraction of the rows).
A run id reads the indexed report from WORM storage. The public key comes from the key provider
(KEY_PROVIDER, VAULT_*) unless --public-key names a JWKS file (GET /api/v1/evidence/keys; the key
whose kid is the envelope's keyid) or an SPKI PEM file. --offline skips the database (signature
and schema only). Exit 6 when anything does not verify (EVIDENCE_INVALID, DATASET_MISMATCH).`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function readLocal(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
}

/** The run named by the (not yet verified) payload, used only to pick the key and the index row. */
function payloadRun(bytes: Uint8Array): { id: string; environment: string; tenant: string } {
  const envelope = parseEnvelope(bytes);
  try {
    const report = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as {
      run?: { id?: unknown; environment?: unknown; tenant?: unknown };
    };
    const run = report.run;
    if (typeof run?.id === "string" && typeof run.environment === "string" && typeof run.tenant === "string") {
      return { id: run.id, environment: run.environment, tenant: run.tenant };
    }
  } catch {
    // Falls through to the refusal below: a payload we cannot read names no run.
  }
  throw new SementeError("EVIDENCE_INVALID", "the payload does not name the run's id, environment and tenant");
}

async function publicKeyFor(
  bytes: Uint8Array,
  keyPath: string | undefined,
  vars: ReturnType<typeof loadConfig<typeof VARS>>,
): Promise<KeyPublic> {
  if (keyPath !== undefined) {
    const text = new TextDecoder().decode(readLocal(keyPath));
    if (text.trimStart().startsWith("{")) {
      const keyId = parseEnvelope(bytes).signatures[0]?.keyid ?? "";
      return publicKeyFromJwks(text, keyId);
    }
    return { keyId: `file:${keyPath}`, publicKeyPem: text };
  }
  const run = payloadRun(bytes);
  return keyProviderFromConfig(vars, run.environment).publicKey({ environment: run.environment, tenant: run.tenant });
}

/** The key of a JWKS document whose `kid` is the envelope's keyid, as the verifier takes it. */
export function publicKeyFromJwks(text: string, keyId: string): KeyPublic {
  let jwks: { keys?: { kid?: unknown; kty?: unknown; crv?: unknown; x?: unknown }[] };
  try {
    jwks = JSON.parse(text);
  } catch {
    throw new UsageError("the --public-key file is neither a JWKS (JSON) nor a PEM file");
  }
  const jwk = jwks.keys?.find((k) => k.kid === keyId);
  if (jwk === undefined || jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") {
    throw new SementeError("EVIDENCE_INVALID", `the JWKS holds no Ed25519 key with kid ${keyId}`);
  }
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" });
  return { keyId, publicKeyPem: key.export({ type: "spki", format: "pem" }).toString() };
}

/**
 * Row verification of a completed run: its manifest (from seed.runs) regenerated and compared with
 * every row of its tenant. Null for runs that did not complete (their rows are partial by design) and
 * for purge runs (nothing to regenerate; their dataset digest is checked by verifyEvidence).
 */
async function verifyRunRows(
  sql: Sql,
  verifierUrl: string,
  report: EvidenceReport,
  sample: number | undefined,
): Promise<RowVerification | null> {
  // A purge regenerates nothing: its report's dataset is the emptied tenant, checked by verifyEvidence.
  if (report.run.state !== "completed" || report.run.operation === "purge") return null;
  const run = await requireRun(sql, report.run.id);
  if (!isManifest(run.manifest)) {
    throw new SementeError("EVIDENCE_INVALID", `run ${run.id}'s stored manifest is not a valid v1 manifest`);
  }
  const manifest = run.manifest;
  const ctx = await generationContextFor(manifest, `sha256:${run.manifestHash}`);
  // Banking rows are read as the read-only verification role; the control plane has no grant on them.
  const rowsSql = verificationSql(verifierUrl);
  try {
    return await verifyRows({ sql: rowsSql, manifest, ctx, ...(sample === undefined ? {} : { sample }) });
  } finally {
    await rowsSql.end({ timeout: 5 });
  }
}

/** A run's stored envelope (read from its WORM location) and its index row. */
async function readRunEvidence(
  sql: Sql,
  runId: string,
  worm: WormReadOptions,
): Promise<{ bytes: Uint8Array; index: EvidenceIndexEntry | undefined }> {
  const entry = await findEvidence(sql, runId);
  if (entry === null) throw new SementeError("NOT_FOUND", `run ${runId} has no evidence`);
  return { bytes: await readWormLocation(entry.location, worm), index: entry };
}

/** A run id, not a path to an envelope file. */
const isRunId = (target: string): boolean => UUID.test(target) && !target.includes("/");

/** The index row of the run a local envelope's payload names, when there is one. */
async function payloadIndex(sql: Sql, bytes: Uint8Array): Promise<EvidenceIndexEntry | undefined> {
  const runId = payloadRun(bytes).id;
  return UUID.test(runId) ? ((await findEvidence(sql, runId)) ?? undefined) : undefined;
}

function rowsMismatch(runId: string, rows: RowVerification): SementeError {
  return new SementeError(
    "DATASET_MISMATCH",
    `the database differs from run ${runId}'s dataset (${rows.differenceCount} difference(s))`,
    { errors: rowProblems(rows) },
  );
}

/** What `--json` prints of a verified report. */
function summaryOf(
  result: Awaited<ReturnType<typeof verifyEvidence>>,
  rows: RowVerification | null,
  recomputed: boolean,
  indexed: boolean,
) {
  return {
    run_id: result.report.run.id,
    valid: true,
    sha256: result.sha256,
    payload_sha256: result.payloadSha256,
    key_id: result.keyId,
    dataset_digest: result.report.dataset.digest,
    dataset_digest_recomputed: recomputed,
    rows_compared: rows?.rowsCompared ?? null,
    sample: rows?.sample ?? null,
    indexed,
  };
}

/** The verified report, line by line (`rows` null: not compared, offline or a run that never wrote). */
function printVerified(summary: ReturnType<typeof summaryOf>, rows: RowVerification | null, state: string): void {
  out(`evidence of run ${summary.run_id}: valid`);
  out(`  signature  ok (key ${summary.key_id})`);
  out(`  sha256     ${summary.sha256}${summary.indexed ? " (matches the index)" : " (not indexed here)"}`);
  out(`  payload    sha256 ${summary.payload_sha256}`);
  out(
    `  dataset    ${summary.dataset_digest ?? "none"}${summary.dataset_digest_recomputed ? " (recomputed from checkpoints and equal to the run's recorded digest)" : " (not recomputed: --offline)"}`,
  );
  if (rows !== null) out(`  ${rowSummary(rows)}`);
  else if (summary.dataset_digest_recomputed) out(`  rows       not compared: the run ended ${state}`);
}

export const evidenceCommand: Command = {
  name: "evidence",
  summary: "verify a signed evidence report (hash, signature, dataset digest)",
  usage: USAGE,
  async run(argv) {
    const { positionals, values } = parse(argv, {
      "public-key": { type: "string" },
      sample: { type: "string" },
      offline: { type: "boolean" },
      json: { type: "boolean" },
    });
    const [action, target] = positionals;
    if (action !== "verify" || target === undefined) throw new UsageError(USAGE);
    const sample = parseSample(values.sample);
    const vars = loadConfig(VARS);
    const isRun = isRunId(target);
    if (isRun && values.offline) throw new UsageError("a run id needs the database; pass a file with --offline");
    let sql: Sql | undefined;
    try {
      if (!values.offline)
        sql = createSql(vars.SEMENTE_APP_DATABASE_URL, { applicationName: "semente-cli-evidence", max: 2 });
      const read = isRun
        ? await readRunEvidence(sql as Sql, target, {
            s3Endpoint: vars.EVIDENCE_S3_ENDPOINT,
            s3Region: vars.EVIDENCE_S3_REGION,
          })
        : { bytes: readLocal(target), index: undefined };
      const bytes = read.bytes;
      let index = read.index;
      const publicKey = await publicKeyFor(bytes, values["public-key"], vars);
      if (sql !== undefined && index === undefined) index = await payloadIndex(sql, bytes);
      const result = await verifyEvidence({ bytes, publicKey, index, sql });
      const rows =
        sql === undefined ? null : await verifyRunRows(sql, vars.SEMENTE_VERIFIER_DATABASE_URL, result.report, sample);
      if (rows !== null && !rows.ok) throw rowsMismatch(result.report.run.id, rows);
      const summary = summaryOf(result, rows, sql !== undefined, index !== undefined);
      if (values.json) out(JSON.stringify(summary));
      else printVerified(summary, rows, result.report.run.state);
      return 0;
    } finally {
      await sql?.end({ timeout: 5 });
    }
  },
};
