import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEvidenceService, createFsWormStore } from "@semente/platform/evidence";
import { devKeys, insertEndedRun, quietLog } from "../../../../packages/platform/tests/evidence/utils.ts";
import { createWorld, NIGHT, requester, type TestWorld, token } from "../utils.ts";

const VERIFIER = join(import.meta.dir, "../../../../docs/examples/verify-evidence.mjs");
let world: TestWorld;
let admin: string;
let send: ReturnType<typeof requester>;
const dir = mkdtempSync(join(tmpdir(), "semente-gw-evidence-"));
const keys = devKeys("33");

beforeAll(async () => {
  world = await createWorld("gw_evidence", { now: NIGHT });
  admin = await token();
  send = requester(world.gateway.app);
});
afterAll(async () => {
  await world.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A completed run of the dev baseline with its report produced, signed, stored and indexed. */
async function reportedRun(sub: string): Promise<{ runId: string; path: string; sha256: string }> {
  const { runId } = await insertEndedRun(world.db.adminSql);
  const service = createEvidenceService({
    sql: world.db.appSql,
    store: createFsWormStore({ dir: join(dir, sub) }),
    keys,
    log: quietLog(),
  });
  const result = await service.produce(runId);
  if (result.status !== "stored") throw new Error(`expected a stored report, got ${result.status}`);
  return { runId, path: fileURLToPath(result.entry.location), sha256: result.entry.sha256 };
}

describe("evidence at the gateway", () => {
  test("evidence - the report re-read from WORM verifies with the published JWKS using only node:crypto", async () => {
    const { runId, sha256 } = await reportedRun("ok");
    const res = await send("GET", `/api/v1/seed-runs/${runId}/evidence`, { token: admin });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe(`"${sha256}"`);
    // The filesystem object is named by its key inside the store, never by the server's path.
    expect(res.headers.get("content-location")).toMatch(new RegExp(`^worm-fs:dev/[a-z0-9-]+/${runId}/[^/]+$`));
    const envelope = (await res.json()) as { signatures: { keyid: string; sig: string }[] };

    const keysRes = await send("GET", "/api/v1/evidence/keys", {});
    expect(keysRes.status).toBe(200);
    expect(keysRes.headers.get("content-type")).toBe("application/jwk-set+json");
    const jwks = (await keysRes.json()) as { keys: { kid: string; kty: string; crv: string; x: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(envelope.signatures[0]?.keyid as string);
    expect(jwks.keys.every((k) => k.kty === "OKP" && k.crv === "Ed25519")).toBe(true);

    // The auditor's side: a plain Node process, no Semente import, just the envelope and the JWKS.
    writeFileSync(join(dir, "envelope.json"), JSON.stringify(envelope));
    writeFileSync(join(dir, "jwks.json"), JSON.stringify(jwks));
    const ok = Bun.spawnSync(["node", VERIFIER, join(dir, "envelope.json"), join(dir, "jwks.json")]);
    expect(ok.stdout.toString()).toContain(`valid: run ${runId} (completed)`);
    expect(ok.exitCode).toBe(0);
    // One altered signature byte: the same verifier refuses it.
    const forged = structuredClone(envelope);
    const sig = Buffer.from(forged.signatures[0]?.sig as string, "base64");
    sig[0] = (sig[0] as number) ^ 1;
    (forged.signatures[0] as { sig: string }).sig = sig.toString("base64");
    writeFileSync(join(dir, "forged.json"), JSON.stringify(forged));
    const bad = Bun.spawnSync(["node", VERIFIER, join(dir, "forged.json"), join(dir, "jwks.json")]);
    expect(bad.exitCode).toBe(1);
  }, 30_000);

  test("evidence - a rotated key stays listed while a retained report was signed by it", async () => {
    await reportedRun("rotated");
    const other = devKeys("44");
    const { runId } = await insertEndedRun(world.db.adminSql);
    const result = await createEvidenceService({
      sql: world.db.appSql,
      store: createFsWormStore({ dir: join(dir, "rotated-2") }),
      keys: other,
      log: quietLog(),
    }).produce(runId);
    expect(result.status).toBe("stored");
    const jwks = (await (await send("GET", "/api/v1/evidence/keys", {})).json()) as { keys: { x: string }[] };
    const xs = new Set(jwks.keys.map((k) => k.x));
    expect(xs.size).toBeGreaterThanOrEqual(2);
  }, 30_000);

  test("evidence - an altered WORM object answers EVIDENCE_TAMPERED and is audited, never the database copy", async () => {
    const { runId, path } = await reportedRun("tampered");
    chmodSync(path, 0o644);
    const bytes = readFileSync(path);
    writeFileSync(path, Buffer.concat([bytes.subarray(0, bytes.length - 2), Buffer.from(" }")]));
    const res = await send("GET", `/api/v1/seed-runs/${runId}/evidence`, { token: admin });
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await res.json()) as { type: string; code: string; location: string };
    expect(problem.type).toBe("https://semente.dev/problems/evidence-tampered");
    expect(problem.location).toStartWith("worm-fs:");
    expect(JSON.stringify(problem)).not.toContain(dir);
    const audit = await world.db.adminSql<{ reason: string; details: { missing: boolean } }[]>`
      select reason, details from seed.audit_log where run_id = ${runId} and action = 'evidence.tampered'`;
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details.missing).toBe(false);
  }, 30_000);

  test("evidence - a missing WORM object answers EVIDENCE_TAMPERED and is audited", async () => {
    const { runId, path } = await reportedRun("missing");
    unlinkSync(path);
    const res = await send("GET", `/api/v1/seed-runs/${runId}/evidence`, { token: admin });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { code: string }).code).toBe("EVIDENCE_TAMPERED");
    const audit = await world.db.adminSql<{ details: { missing: boolean } }[]>`
      select details from seed.audit_log where run_id = ${runId} and action = 'evidence.tampered'`;
    expect(audit[0]?.details.missing).toBe(true);
  }, 30_000);
});
