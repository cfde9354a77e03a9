import { Action } from "@semente/platform/auth";
import { appendAudit } from "@semente/platform/db";
import { isSementeError, SementeError } from "@semente/core/errors";
import { evidenceJwks, publicEvidenceLocation, readWormLocation, sha256Hex } from "@semente/platform/evidence";
import type { Handler } from "../http/context.ts";
import type { Run } from "@semente/platform/runs";
import { loadRun, type RunsDeps } from "./runs.ts";

/**
 * `GET /api/v1/seed-runs/:id/evidence`: the signed DSSE envelope of the run, re-read from its WORM
 * object (never the database copy) after comparing the object's SHA-256 with the index. A missing
 * object or a hash mismatch answers EVIDENCE_TAMPERED (500) and writes an `evidence.tampered`
 * audit row; 404 NOT_FOUND until the report exists. `ETag` is the SHA-256 of the stored envelope;
 * `Content-Location` its S3 URI, or `worm-fs:<key>` (the key inside the store, never the server's
 * path) for the filesystem backend.
 */
export function evidenceRoute(deps: RunsDeps): Handler {
  return async (ctx) => {
    const run = await loadRun(deps, ctx, Action.read);
    const [entry] = await deps.sql<{ sha256: string; location: string; storage: string }[]>`
      select sha256, location, storage from seed.evidence_index where run_id = ${run.id}`;
    if (entry === undefined) throw new SementeError("NOT_FOUND", "no evidence for this run yet");
    const location = publicEvidenceLocation(run, entry.location, entry.storage);
    const bytes = await readStoredObject(entry.location, deps);
    const observed = bytes === null ? null : sha256Hex(bytes);
    if (bytes === null || observed !== entry.sha256) {
      throw await tamperedError(deps, ctx, run, { ...entry, public: location }, observed);
    }
    return {
      status: 200,
      json: JSON.parse(new TextDecoder().decode(bytes)),
      headers: { ETag: `"${entry.sha256}"`, "Content-Location": location, "Cache-Control": "no-cache" },
    };
  };
}

/** The stored object's bytes; null when no object is there or no store can read the index location. */
async function readStoredObject(location: string, deps: RunsDeps): Promise<Uint8Array | null> {
  try {
    return await readWormLocation(location, deps.worm);
  } catch (error) {
    // No object there, or an index location no store can read: either way the report is not where
    // the index says it is.
    if (!isSementeError(error) || (error.code !== "NOT_FOUND" && error.code !== "EVIDENCE_INVALID")) throw error;
    return null;
  }
}

/** Audits and logs a missing or altered evidence object; returns the EVIDENCE_TAMPERED to answer. */
async function tamperedError(
  deps: RunsDeps,
  ctx: Parameters<Handler>[0],
  run: Run,
  entry: { sha256: string; location: string; public: string },
  observed: string | null,
): Promise<SementeError> {
  const missing = observed === null;
  const problem = missing
    ? "the stored evidence object is missing"
    : "the stored evidence object's hash differs from its index";
  await appendAudit(deps.sql, {
    actor: ctx.principal.subject,
    action: "evidence.tampered",
    outcome: "failure",
    tenantId: run.tenantId,
    environment: run.environment,
    runId: run.id,
    reason: "EVIDENCE_TAMPERED",
    details: {
      location: entry.location,
      indexed_sha256: entry.sha256,
      observed_sha256: observed,
      missing,
    },
  });
  ctx.log.error({ location: entry.location, missing }, problem);
  return new SementeError("EVIDENCE_TAMPERED", `${problem}; the report is not served`, {
    extensions: { location: entry.public, indexed_sha256: entry.sha256, observed_sha256: observed },
  });
}

/**
 * `GET /api/v1/evidence/keys` (public): the evidence signing public keys as a JWKS (RFC 7517,
 * Ed25519 `OKP` keys, `kid` = DSSE `keyid`), every key that signed a report still retained.
 */
export function evidenceKeysRoute(deps: Pick<RunsDeps, "sql">): Handler {
  return async () => ({
    status: 200,
    json: await evidenceJwks(deps.sql),
    headers: { "Content-Type": "application/jwk-set+json", "Cache-Control": "max-age=300" },
  });
}
