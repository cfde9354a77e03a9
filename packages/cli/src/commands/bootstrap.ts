import { COMMON_VARS, loadConfig, type Specs, str } from "@semente/platform/config";
import { bootstrapDatabase, DbRole, MIGRATIONS_DIR } from "@semente/platform/db";
import { bootstrapWormBucket, WORM_VARS } from "@semente/platform/evidence";
import { bootstrapVault } from "@semente/platform/keys";
import { KEY_PROVIDER_VARS } from "@semente/platform/pipeline";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";

const USAGE = `usage: semente bootstrap <vault|s3|db> [options]

Creates, idempotently, what the services need before they start (compose runs these as one-shot
jobs; re-running one changes nothing that exists):
  vault [--env staging] [--wait 0]
          the Transit mount, one FPE key per tenant of SEMENTE_TENANTS, the evidence signing key
          and the semente-{seeder,planner,evidence,verifier}-<env> policies, with the key names
          the services use; --wait keeps polling (seconds) until OpenBao/Vault is unsealed
  s3      the evidence bucket (EVIDENCE_S3_BUCKET) with Object Lock, COMPLIANCE retention of
          EVIDENCE_RETENTION_DAYS by default; refuses an existing bucket without Object Lock
  db      the login roles with their passwords (SEMENTE_*_PASSWORD), the database, then the
          pending migrations as MIGRATION_DATABASE_URL`;

/** Variables of each `semente bootstrap` verb (the compose jobs are checked against them). */
export const BOOTSTRAP_VARS = {
  vault: {
    VAULT_ADDR: KEY_PROVIDER_VARS.VAULT_ADDR,
    VAULT_TOKEN: KEY_PROVIDER_VARS.VAULT_TOKEN,
    VAULT_TRANSIT_MOUNT: KEY_PROVIDER_VARS.VAULT_TRANSIT_MOUNT,
    SEMENTE_TENANTS: str("Tenants `semente bootstrap vault` creates FPE keys for (comma-separated)", ""),
  },
  s3: {
    EVIDENCE_S3_BUCKET: WORM_VARS.EVIDENCE_S3_BUCKET,
    EVIDENCE_S3_ENDPOINT: WORM_VARS.EVIDENCE_S3_ENDPOINT,
    EVIDENCE_S3_REGION: WORM_VARS.EVIDENCE_S3_REGION,
    EVIDENCE_RETENTION_DAYS: WORM_VARS.EVIDENCE_RETENTION_DAYS,
    EVIDENCE_WORM_BACKEND: WORM_VARS.EVIDENCE_WORM_BACKEND,
  },
  db: {
    ADMIN_DATABASE_URL: COMMON_VARS.ADMIN_DATABASE_URL,
    MIGRATION_DATABASE_URL: COMMON_VARS.MIGRATION_DATABASE_URL,
    MIGRATIONS_DIR: str("Migration files the database must be up to date with", MIGRATIONS_DIR),
    SEMENTE_OWNER_PASSWORD: str("Password `semente bootstrap db` sets on semente_owner (empty: unchanged)", ""),
    SEMENTE_APP_PASSWORD: str("Password `semente bootstrap db` sets on semente_app (empty: unchanged)", ""),
    SEMENTE_SEEDER_PASSWORD: str("Password `semente bootstrap db` sets on semente_seeder (empty: unchanged)", ""),
    SEMENTE_VERIFIER_PASSWORD: str("Password `semente bootstrap db` sets on semente_verifier (empty: unchanged)", ""),
  },
} as const satisfies Record<string, Specs>;

const csv = (s: string): string[] =>
  s
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");

async function vault(argv: string[]): Promise<number> {
  const { values } = parse(argv, { env: { type: "string" }, wait: { type: "string" } });
  const waitS = Number(values.wait ?? "0");
  if (!Number.isFinite(waitS) || waitS < 0) throw new UsageError("--wait must be a number of seconds");
  const vars = loadConfig(BOOTSTRAP_VARS.vault);
  const environment = values.env ?? "staging";
  const result = await bootstrapVault({
    addr: vars.VAULT_ADDR,
    token: vars.VAULT_TOKEN,
    mount: vars.VAULT_TRANSIT_MOUNT,
    environment,
    tenants: csv(vars.SEMENTE_TENANTS),
    waitMs: waitS * 1000,
  });
  if (result.mountEnabled) out(`transit mount ${vars.VAULT_TRANSIT_MOUNT} enabled`);
  for (const k of result.createdKeys) out(`key ${k} created`);
  for (const k of result.existingKeys) out(`key ${k} exists`);
  out(`policies written: ${result.policies.join(", ")}`);
  return 0;
}

async function s3(): Promise<number> {
  const vars = loadConfig(BOOTSTRAP_VARS.s3);
  if (vars.EVIDENCE_S3_BUCKET === "") throw new UsageError("EVIDENCE_S3_BUCKET is required");
  const result = await bootstrapWormBucket({
    bucket: vars.EVIDENCE_S3_BUCKET,
    region: vars.EVIDENCE_S3_REGION,
    retentionDays: vars.EVIDENCE_RETENTION_DAYS,
    ...(vars.EVIDENCE_S3_ENDPOINT === "" ? {} : { endpoint: vars.EVIDENCE_S3_ENDPOINT }),
  });
  out(
    `bucket ${vars.EVIDENCE_S3_BUCKET} ${result.created ? "created" : "exists"}: Object Lock COMPLIANCE, ${result.retentionDays} days`,
  );
  return 0;
}

async function db(): Promise<number> {
  const vars = loadConfig(BOOTSTRAP_VARS.db);
  const result = await bootstrapDatabase({
    adminUrl: vars.ADMIN_DATABASE_URL,
    migrationUrl: vars.MIGRATION_DATABASE_URL,
    migrationsDir: vars.MIGRATIONS_DIR,
    passwords: {
      [DbRole.OWNER]: vars.SEMENTE_OWNER_PASSWORD,
      [DbRole.APP]: vars.SEMENTE_APP_PASSWORD,
      [DbRole.SEEDER]: vars.SEMENTE_SEEDER_PASSWORD,
      [DbRole.VERIFIER]: vars.SEMENTE_VERIFIER_PASSWORD,
    },
  });
  out(`database ${result.database} ${result.created ? "created" : "exists"}; roles ready`);
  if (result.passwordsSet.length > 0) out(`passwords set: ${result.passwordsSet.join(", ")}`);
  out(result.applied.length === 0 ? "migrations: up to date" : `migrations: applied ${result.applied.join(", ")}`);
  return 0;
}

export const bootstrapCommand: Command = {
  name: "bootstrap",
  summary: "create Transit keys and policies, the Object Lock bucket, or DB roles + migrations (idempotent)",
  usage: USAGE,
  async run(argv) {
    const [what, ...rest] = argv;
    if (what === "vault") return vault(rest);
    if (what === "s3") return s3();
    if (what === "db") return db();
    throw new UsageError(USAGE);
  },
};
