/**
 * Structural lint of the staging stack (deploy/). No Docker engine runs on the development
 * machines, so this is what keeps deploy/docker-compose.yml honest:
 *
 *   bun scripts/lint-deploy.ts [path/to/docker-compose.yml]
 *
 * Checks: the required services exist; every service has a healthcheck; images are pinned;
 * the four Semente services build from deploy/Dockerfile; no secret is inlined (secret-looking
 * variables only as `*_FILE`, no credentials in URLs, env files git-ignored with an `.example`
 * template); bind-mounted files exist; NATS runs three JetStream servers with
 * `sync_interval: always`; the S3 server keeps versioning (Object Lock needs it); the Semente
 * services store evidence in S3 (`EVIDENCE_WORM_BACKEND=s3`), never the dev filesystem store.
 * Prints one line per problem and exits 1 when there is any. Parsed with Bun.YAML, which
 * resolves the `<<` merge keys the compose file uses (as Docker Compose does).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

type Node = Record<string, unknown>;

const SEMENTE_SERVICES = ["gateway", "planner", "seeder", "evidence"] as const;
const INFRA_SERVICES = ["nats-1", "nats-2", "nats-3", "postgres", "openbao", "s3", "otel-collector"] as const;
const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIAL|ACCESS_KEY|API_KEY)/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Compose accepts `environment` as a map or as a list of `KEY=value`. */
function environmentOf(service: Node): [string, string][] {
  const env = service.environment;
  if (Array.isArray(env)) {
    return env.map((entry) => {
      const text = String(entry);
      const eq = text.indexOf("=");
      return eq < 0 ? [text, ""] : [text.slice(0, eq), text.slice(eq + 1)];
    });
  }
  if (isNode(env)) return Object.entries(env).map(([k, v]) => [k, v === null ? "" : String(v)]);
  return [];
}

function listOf(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function lintService(name: string, service: Node, deployDir: string, problems: string[]): void {
  const where = `services.${name}`;
  const healthcheck = service.healthcheck;
  if (!isNode(healthcheck) || healthcheck.test === undefined || healthcheck.disable === true) {
    problems.push(`${where}: no healthcheck`);
  }

  const image = typeof service.image === "string" ? service.image : undefined;
  if (service.build === undefined) {
    if (image === undefined) problems.push(`${where}: neither image nor build`);
    else if (!/:[^/]+$/.test(image) || image.endsWith(":latest"))
      problems.push(`${where}: image ${image} is not pinned`);
  }

  for (const [key, value] of environmentOf(service)) {
    if (SECRET_NAME.test(key) && !key.endsWith("_FILE")) {
      problems.push(`${where}.environment.${key}: secret-looking variable inlined; use env_file or *_FILE`);
    }
    if (URL_WITH_PASSWORD.test(value)) problems.push(`${where}.environment.${key}: URL carries a password`);
  }

  for (const entry of listOf(service.env_file)) {
    const path = isNode(entry) ? String(entry.path) : String(entry);
    if (!path.startsWith("./secrets/")) problems.push(`${where}.env_file ${path}: env files live in deploy/secrets/`);
    if (!existsSync(join(deployDir, `${path}.example`))) problems.push(`${where}.env_file ${path}: no ${path}.example`);
  }

  for (const volume of listOf(service.volumes)) {
    const source = isNode(volume) ? String(volume.source ?? "") : String(volume).split(":")[0];
    if (source?.startsWith("./") && !existsSync(join(deployDir, source))) {
      problems.push(`${where}.volumes: ${source} does not exist`);
    }
  }

  const depends = service.depends_on;
  if (isNode(depends)) {
    for (const [dep, spec] of Object.entries(depends)) {
      if (!isNode(spec) || spec.condition !== "service_healthy") {
        problems.push(`${where}.depends_on.${dep}: use condition service_healthy`);
      }
    }
  }
}

function lintNats(deployDir: string, services: Node, problems: string[]): void {
  const confPath = join(deployDir, "nats", "nats.conf");
  if (!existsSync(confPath)) {
    problems.push("deploy/nats/nats.conf is missing");
    return;
  }
  const conf = readFileSync(confPath, "utf8");
  if (!/^\s*sync_interval:\s*always\s*$/m.test(conf)) problems.push("nats.conf: jetstream needs sync_interval: always");
  for (const n of ["nats-1", "nats-2", "nats-3"]) {
    if (!conf.includes(`nats-route://${n}:6222`)) problems.push(`nats.conf: no cluster route to ${n}`);
    const service = services[n];
    if (!isNode(service)) continue;
    const image = String(service.image ?? "");
    const version = /^nats:(\d+)\.(\d+)/.exec(image);
    if (version === null || Number(version[1]) < 2 || (Number(version[1]) === 2 && Number(version[2]) < 10)) {
      problems.push(`services.${n}: image ${image} must be nats:2.10 or newer (sync_interval)`);
    }
    const mounted = listOf(service.volumes).some((v) => String(v).startsWith("./nats/nats.conf:"));
    if (!mounted) problems.push(`services.${n}: nats.conf is not mounted`);
  }
}

function lintSemente(deployDir: string, services: Node, problems: string[]): void {
  const dockerfile = join(deployDir, "Dockerfile");
  if (!existsSync(dockerfile)) problems.push("deploy/Dockerfile is missing");
  else if (!/^FROM oven\/bun:\S+/m.test(readFileSync(dockerfile, "utf8"))) {
    problems.push("deploy/Dockerfile: base image must be oven/bun");
  }
  for (const name of SEMENTE_SERVICES) {
    const service = services[name];
    if (!isNode(service)) continue;
    const build = service.build;
    if (!isNode(build) || build.dockerfile !== "deploy/Dockerfile" || build.context !== "..") {
      problems.push(`services.${name}: must build from deploy/Dockerfile with the repository root as context`);
    }
    const env = Object.fromEntries(environmentOf(service));
    if (env.SERVICE !== name) problems.push(`services.${name}: environment SERVICE must be ${name}`);
    // Staging evidence goes to S3 Object Lock; the filesystem WORM store is a dev condition.
    if (env.EVIDENCE_WORM_BACKEND !== "s3") problems.push(`services.${name}: EVIDENCE_WORM_BACKEND must be s3`);
  }
}

function lintS3(services: Node, problems: string[]): void {
  const s3 = services.s3;
  if (!isNode(s3)) return;
  const env = Object.fromEntries(environmentOf(s3));
  if (!env.VGW_VERSIONING_DIR)
    problems.push("services.s3: VGW_VERSIONING_DIR is required (Object Lock needs versioning)");
}

/** Returns one message per problem found in the compose file at `composePath`. */
export function lintDeploy(composePath: string): string[] {
  const problems: string[] = [];
  const deployDir = dirname(composePath);
  let compose: unknown;
  try {
    compose = Bun.YAML.parse(readFileSync(composePath, "utf8"));
  } catch (error) {
    return [`${composePath}: cannot be read or parsed (${error instanceof Error ? error.message : String(error)})`];
  }
  if (!isNode(compose) || !isNode(compose.services)) return [`${composePath}: no services`];
  const services = compose.services;

  for (const name of [...INFRA_SERVICES, ...SEMENTE_SERVICES]) {
    if (!isNode(services[name])) problems.push(`services.${name}: missing`);
  }
  for (const [name, service] of Object.entries(services)) {
    if (isNode(service)) lintService(name, service, deployDir, problems);
    else problems.push(`services.${name}: not a mapping`);
  }
  lintNats(deployDir, services, problems);
  lintSemente(deployDir, services, problems);
  lintS3(services, problems);

  if (isNode(compose.secrets)) {
    for (const [name, secret] of Object.entries(compose.secrets)) {
      const file = isNode(secret) ? secret.file : undefined;
      if (typeof file !== "string" || !file.startsWith("./secrets/")) {
        problems.push(`secrets.${name}: must be a file under deploy/secrets/`);
      } else if (!existsSync(join(deployDir, `${file}.example`))) {
        problems.push(`secrets.${name}: no ${file}.example`);
      }
    }
  }
  const ignore = join(deployDir, ".gitignore");
  if (!existsSync(ignore) || !/^secrets\/\*$/m.test(readFileSync(ignore, "utf8"))) {
    problems.push("deploy/.gitignore must ignore secrets/*");
  }
  return problems;
}

if (import.meta.main) {
  const composePath = resolve(process.argv[2] ?? join(import.meta.dir, "..", "deploy", "docker-compose.yml"));
  const problems = lintDeploy(composePath);
  for (const problem of problems) console.error(`lint-deploy: ${problem}`);
  if (problems.length > 0) process.exit(1);
  console.log(`lint-deploy: ${composePath} ok`);
}
