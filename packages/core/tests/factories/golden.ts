// Fingerprints of everything generation produces, pinned by golden.test.ts so that a change made
// for speed can be shown not to move a single output byte. Run directly to print them:
//   bun packages/core/tests/factories/golden.ts
import { createHash, type Hash } from "node:crypto";
import { datasetDigest } from "../../src/determinism/index.ts";
import { type Batch, generateBatch } from "../../src/factories/index.ts";
import { computeLoan, type LoanTerms } from "../../src/finance/index.ts";
import { ENTITIES, type Manifest, type VolumetryEntity, VOLUMETRY_ENTITIES } from "../../src/manifest/index.ts";
import { createPiiMasker } from "../../src/pii/index.ts";
import { digestBatch } from "../../src/pipeline/batch-digest.ts";
import { contextFor, profile, smallManifest, testKey } from "./utils.ts";

/** A canonical profile with every count divided by `scale` (caps follow). */
function scaled(environment: string, tenant: string, scale: number): Manifest {
  const base = profile(environment, tenant);
  const volumetry = structuredClone(base.volumetry);
  for (const entity of VOLUMETRY_ENTITIES as readonly VolumetryEntity[]) {
    const v = volumetry[entity];
    if (entity !== "account_categories") v.count = Math.max(1, Math.round(v.count / scale));
    v.cap = Math.max(v.cap, v.count);
  }
  return { ...base, volumetry };
}

/** The datasets pinned: the dev baselines whole, the load and DR profiles scaled down, long terms. */
export const GOLDEN_DATASETS: Record<string, () => Manifest> = {
  "dev/banco-alfa": () => profile("dev", "banco-alfa"),
  "dev/banco-beta": () => profile("dev", "banco-beta"),
  "staging/banco-alfa÷100": () => scaled("staging", "banco-alfa", 100),
  "staging/banco-beta÷100": () => scaled("staging", "banco-beta", 100),
  "perf/banco-alfa÷1000": () => scaled("perf", "banco-alfa", 1000),
  // Defaulted loans reach back a whole term: the reference dates keep every contract inside the IOF table.
  "staging/banco-alfa small, 60 months": () =>
    smallManifest(profile("staging", "banco-alfa"), { reference_datetime: "2027-06-15T12:00:00Z" }, 60),
  "staging/banco-beta small, 420 months": () =>
    smallManifest(profile("staging", "banco-beta"), { reference_datetime: "2057-03-01T00:00:00Z" }, 420),
};

const hex16 = (h: Hash) => h.digest("hex").slice(0, 16);

// Exact JSON of a row: strings, numbers, booleans and null stay apart; undefined is marked too.
const exact = (_: string, v: unknown) => (v === undefined ? "\u0000undefined" : v);

/** Every batch of a dataset, entity by entity, cut at the manifest's batch_size. */
export function* goldenBatches(manifest: Manifest): Generator<Batch> {
  const ctx = contextFor(manifest);
  for (const entity of ENTITIES) {
    for (let from = 0; from < ctx.counts[entity]; from += manifest.batch_size) {
      yield generateBatch(ctx, entity, from, Math.min(ctx.counts[entity], from + manifest.batch_size));
    }
  }
}

/**
 * Per entity: 16 hex digits of SHA-256 over the exact JSON of every row (types included), in
 * ordinal order; then the dataset digest (the seeder's `digestBatch` per batch of the manifest's
 * batch_size). The COPY text is pinned by the platform's copy-text test over the same datasets.
 */
export function datasetFingerprint(manifest: Manifest): Record<string, string> {
  const rows = new Map<string, Hash>();
  const digests: string[] = [];
  for (const batch of goldenBatches(manifest)) {
    let hash = rows.get(batch.entity);
    if (hash === undefined) {
      hash = createHash("sha256");
      rows.set(batch.entity, hash);
    }
    for (const row of batch.rows) hash.update(`${JSON.stringify(row, exact)}\n`);
    digests.push(digestBatch(batch));
  }
  const out: Record<string, string> = {};
  for (const entity of ENTITIES) out[entity] = hex16(rows.get(entity) ?? createHash("sha256"));
  out.dataset = datasetDigest(digests);
  return out;
}

/** Loan i of the finance grid: method, borrower, principal and fees vary with i. */
function gridLoan(i: number, termMonths: number, monthlyRate: string, contractedOn: number): LoanTerms {
  return {
    method: i % 3 === 0 ? "sac" : "price",
    borrower: i % 2 === 0 ? "PF" : "PJ",
    principalCents: 50_000 + ((i * 7_919_731) % 500_000_000),
    monthlyRate,
    termMonths,
    firstDueOn: contractedOn + 20 + (i % 25),
    contractedOn,
    ...(i % 5 === 0 ? { feesCents: 1_000 } : {}),
  };
}

/** Loans over a grid of terms, rates, principals, methods, borrowers and dates (every IOF period). */
export function financeFingerprint(): string {
  const hash = createHash("sha256");
  const rates = ["0", "0.0001", "0.007", "0.0189", "0.0497", "0.065", "0.15"];
  const terms = [1, 2, 3, 6, 12, 24, 36, 60, 120, 240, 360, 420];
  const contracted = [18_700, 18_890, 19_000, 20_231, 20_250, 20_270, 20_285, 20_300];
  let i = 0;
  for (const termMonths of terms) {
    for (const monthlyRate of rates) {
      for (const contractedOn of contracted) {
        i += 1;
        hash.update(`${JSON.stringify(computeLoan(gridLoan(i, termMonths, monthlyRate, contractedOn)), exact)}\n`);
      }
    }
  }
  return hash.digest("hex");
}

/** Every masker field over 20,000 ordinals, with and without a tweak, under one fixed test key. */
export function piiFingerprint(): string {
  const masker = createPiiMasker({ key: testKey("golden", 1) });
  const hash = createHash("sha256");
  for (const tweak of [undefined, "customers"]) {
    for (let i = 0; i < 20_000; i++) {
      const name = masker.fullName(i, tweak);
      hash.update(
        `${masker.cpf(i, tweak)}|${masker.cnpj(i, tweak)}|${masker.phone(i, tweak)}|${masker.email(i, name, tweak)}|${name}\n`,
      );
    }
  }
  return hash.digest("hex");
}

if (import.meta.main) {
  const all: Record<string, unknown> = {};
  for (const [name, manifest] of Object.entries(GOLDEN_DATASETS)) all[name] = datasetFingerprint(manifest());
  all.finance = financeFingerprint();
  all.pii = piiFingerprint();
  console.log(JSON.stringify(all, null, 2));
}
