#!/usr/bin/env bun
/**
 * Config contract of the staging stack: feeds each Semente container's environment, exactly as
 * Docker Compose builds it (the `env_file`s — their committed `.example` templates — then
 * `environment`), to that service's real config loader, and reports every unknown, missing or
 * invalid variable, plus staging rules (three NATS servers, R3, Vault Transit keys, S3 WORM, the
 * least-privilege database role of each process, a health port the image's healthcheck finds).
 *
 *   bun scripts/compose-contract.ts [path/to/docker-compose.yml]
 *
 * Prints one line per problem (never a variable's value) and exits 1 when there is any.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { BOOTSTRAP_VARS } from "../packages/cli/src/commands/bootstrap.ts";
import { AUTH_VARS, resolveAuthKeys } from "../packages/platform/src/auth/index.ts";
import { applyDotenv, badVariables, type Specs } from "../packages/platform/src/config/index.ts";
import { wormStoreFromConfig } from "../packages/platform/src/evidence/index.ts";
import { keyProviderFromConfig } from "../packages/platform/src/pipeline/index.ts";
import { healthPort } from "../deploy/healthcheck.ts";
import { EVIDENCE_VARS, loadEvidenceConfig } from "../services/evidence/src/config.ts";
import { GATEWAY_VARS, loadGatewayConfig } from "../services/gateway/src/config.ts";
import { loadPlannerConfig, PLANNER_VARS } from "../services/planner/src/config.ts";
import { loadSeederConfig, SEEDER_VARS } from "../services/seeder/src/config.ts";

type Env = Record<string, string | undefined>;
type Node = Record<string, unknown>;

/** Read by the AWS SDK's default credential chain (S3 WORM store), not by a Semente spec. */
const AWS_CREDENTIALS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] as const;
const awsSpecs: Specs = Object.fromEntries(
  AWS_CREDENTIALS.map((n) => [n, { doc: "AWS SDK credential", parse: String }]),
);

/** What one container runs: the variables it knows, and a check that runs its real loader. */
interface Contract {
  known: Specs;
  /** Runs the loader(s); returns problems beyond what the loader throws. */
  check(env: Env): string[];
}

function role(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username);
  } catch {
    return "";
  }
}

function expectRole(problems: string[], variable: string, url: string, wanted: string): void {
  if (role(url) !== wanted) problems.push(`${variable}: must connect as ${wanted}, not ${role(url) || "no user"}`);
}

function stagingNats(vars: { NATS_URL: string[]; NATS_REPLICAS: number; NATS_USER: string; NATS_CREDS: string }) {
  const problems: string[] = [];
  if (vars.NATS_URL.length !== 3)
    problems.push(`NATS_URL: staging lists the three NATS servers (${vars.NATS_URL.length} given)`);
  if (vars.NATS_REPLICAS !== 3) problems.push("NATS_REPLICAS: staging streams and buckets are R3");
  if (vars.NATS_USER === "" && vars.NATS_CREDS === "") problems.push("NATS_USER: staging NATS requires authentication");
  return problems;
}

function requireAws(env: Env): string[] {
  return AWS_CREDENTIALS.filter((n) => !env[n]).map((n) => `${n}: required by the S3 WORM store`);
}

const STAGING_KEYS = (vars: { KEY_PROVIDER: string }) =>
  vars.KEY_PROVIDER === "vault-transit" ? [] : ["KEY_PROVIDER: staging uses vault-transit"];

/** The contract of each container that runs the Semente image, by its compose `command`. */
export const CONTRACTS: Record<string, Contract> = {
  gateway: {
    known: { ...GATEWAY_VARS, ...AUTH_VARS },
    check(env) {
      const { vars } = loadGatewayConfig(env);
      resolveAuthKeys({ env, devFile: "/nonexistent/.env.local" });
      const problems = stagingNats(vars);
      expectRole(problems, "SEMENTE_APP_DATABASE_URL", vars.SEMENTE_APP_DATABASE_URL, "semente_app");
      return problems;
    },
  },
  planner: {
    known: { ...PLANNER_VARS, ...awsSpecs },
    check(env) {
      const vars = loadPlannerConfig(env);
      keyProviderFromConfig(vars, "staging");
      wormStoreFromConfig(vars);
      const problems = [...stagingNats(vars), ...STAGING_KEYS(vars), ...requireAws(env)];
      expectRole(problems, "SEMENTE_APP_DATABASE_URL", vars.SEMENTE_APP_DATABASE_URL, "semente_app");
      expectRole(problems, "SEMENTE_SEEDER_DATABASE_URL", vars.SEMENTE_SEEDER_DATABASE_URL, "semente_seeder");
      if (vars.EVIDENCE_WORM_BACKEND !== "s3") problems.push("EVIDENCE_WORM_BACKEND: staging stores evidence in S3");
      return problems;
    },
  },
  seeder: {
    known: SEEDER_VARS,
    check(env) {
      const { vars } = loadSeederConfig(env);
      keyProviderFromConfig(vars, "staging");
      const problems = [...stagingNats(vars), ...STAGING_KEYS(vars)];
      expectRole(problems, "SEMENTE_SEEDER_DATABASE_URL", vars.SEMENTE_SEEDER_DATABASE_URL, "semente_seeder");
      return problems;
    },
  },
  evidence: {
    known: { ...EVIDENCE_VARS, ...awsSpecs },
    check(env) {
      const vars = loadEvidenceConfig(env);
      keyProviderFromConfig(vars, vars.SEMENTE_ENV);
      wormStoreFromConfig(vars);
      const problems = [...stagingNats(vars), ...STAGING_KEYS(vars), ...requireAws(env)];
      expectRole(problems, "SEMENTE_APP_DATABASE_URL", vars.SEMENTE_APP_DATABASE_URL, "semente_app");
      if (vars.SEMENTE_ENV !== "staging") problems.push("SEMENTE_ENV: must be staging");
      if (vars.EVIDENCE_WORM_BACKEND !== "s3") problems.push("EVIDENCE_WORM_BACKEND: staging stores evidence in S3");
      return problems;
    },
  },
};

/** `semente bootstrap <what>` jobs: their variables are checked against the bootstrap specs. */
function bootstrapContract(what: string): Contract | undefined {
  const known = BOOTSTRAP_VARS[what as keyof typeof BOOTSTRAP_VARS];
  if (known === undefined) return undefined;
  return {
    known: { ...known, ...(what === "s3" ? awsSpecs : {}) },
    check: (env) => (what === "s3" ? requireAws(env) : []),
  };
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A service's environment as Compose builds it: env files in order, then `environment`. */
export function composeEnv(service: Node, deployDir: string, useExamples = true): Env {
  const env: Env = {};
  const files = service.env_file === undefined ? [] : [service.env_file].flat();
  for (const entry of files) {
    const path = join(deployDir, String(isNode(entry) ? entry.path : entry));
    const file = useExamples ? `${path}.example` : path;
    const one: Env = {};
    if (existsSync(file)) applyDotenv(file, one);
    Object.assign(env, one);
  }
  const environment = service.environment;
  if (isNode(environment)) {
    for (const [k, v] of Object.entries(environment)) env[k] = v === null ? "" : String(v);
  }
  return env;
}

function contractOf(service: Node): { label: string; contract: Contract } | undefined {
  const command = Array.isArray(service.command) ? service.command.map(String) : [];
  if (command[0] === "semente" && command[1] === "bootstrap" && command[2] !== undefined) {
    const contract = bootstrapContract(command[2]);
    return contract === undefined ? undefined : { label: `semente bootstrap ${command[2]}`, contract };
  }
  const contract = command[0] === undefined ? undefined : CONTRACTS[command[0]];
  return contract === undefined ? undefined : { label: command[0] as string, contract };
}

/** Checks one container's environment; returns problems prefixed with the service name. */
export function checkService(name: string, service: Node, deployDir: string): string[] {
  const found = contractOf(service);
  if (found === undefined) return [`services.${name}: runs the Semente image with an unknown command`];
  const env = composeEnv(service, deployDir);
  const problems: string[] = [];
  const renamed = new Map(
    Object.entries(found.contract.known).flatMap(([name, spec]) => (spec.aliases ?? []).map((a) => [a, name])),
  );
  for (const key of Object.keys(env)) {
    const current = renamed.get(key);
    if (current !== undefined) problems.push(`${key}: deprecated name, the manifests use ${current}`);
    else if (!(key in found.contract.known)) problems.push(`${key}: unknown to ${found.label}`);
  }
  if (env.SEMENTE_ENV_FILE === undefined) env.SEMENTE_ENV_FILE = "/nonexistent/.env";
  try {
    problems.push(...found.contract.check(env));
  } catch (error) {
    const bad = badVariables(error);
    if (bad.length === 0) problems.push(`${(error as Error).message}`);
    for (const b of bad) problems.push(`${b.variable}: ${b.problem}`);
  }
  if (CONTRACTS[found.label] !== undefined && healthPort(env) === undefined) {
    problems.push("no health port for deploy/healthcheck.ts");
  }
  return problems.map((p) => `services.${name}: ${p}`);
}

/** Every problem of every Semente container of the compose file. */
export function checkComposeContract(composePath: string): string[] {
  const compose = Bun.YAML.parse(readFileSync(composePath, "utf8")) as Node;
  const services = isNode(compose.services) ? compose.services : {};
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [name, service] of Object.entries(services)) {
    if (!isNode(service) || service.image !== "semente:staging") continue;
    problems.push(...checkService(name, service, dirname(composePath)));
    const found = contractOf(service);
    if (found !== undefined) seen.add(found.label);
  }
  for (const name of Object.keys(CONTRACTS)) if (!seen.has(name)) problems.push(`no container runs ${name}`);
  return problems;
}

if (import.meta.main) {
  const composePath = resolve(process.argv[2] ?? join(import.meta.dir, "..", "deploy", "docker-compose.yml"));
  const problems = checkComposeContract(composePath);
  for (const p of problems) console.error(`compose-contract: ${p}`);
  if (problems.length > 0) process.exit(1);
  console.log(`compose-contract: ${composePath} ok`);
}
