/**
 * Structural lint of the staging stack (deploy/). No Docker engine runs on the development
 * machines, so this is what keeps deploy/docker-compose.yml honest:
 *
 *   bun scripts/lint-deploy.ts [path/to/docker-compose.yml]
 *
 * Checks: the required services exist; every long-running service has a healthcheck and every
 * one-shot job (`restart: "no"`) is awaited with `service_completed_successfully`; images are
 * pinned to an exact version or a digest; the Semente services and bootstrap jobs build from
 * deploy/Dockerfile, choose their process by `command`, and start only after the three bootstrap
 * jobs; no secret is inlined (secret-looking variables only as `*_FILE`, no credentials in URLs,
 * env files git-ignored with an `.example` template); bind-mounted files exist; NATS runs three
 * JetStream servers with `sync_interval: always` and password-protected accounts read from the
 * environment; the S3 server keeps versioning (Object Lock needs it); the Dockerfile pins its base
 * by digest, runs as a non-root user and has a HEALTHCHECK; the build context has a .dockerignore
 * keeping `.env*` and `.git` out.
 * Prints one line per problem and exits 1 when there is any. Parsed with Bun.YAML, which
 * resolves the `<<` merge keys the compose file uses (as Docker Compose does).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

type Node = Record<string, unknown>;

const SEMENTE_SERVICES = ["gateway", "planner", "seeder", "evidence"] as const;
const INFRA_SERVICES = [
  "nats-1",
  "nats-2",
  "nats-3",
  "nats-box",
  "postgres",
  "openbao",
  "s3",
  "otel-collector",
] as const;
const BOOTSTRAP_JOBS = ["bootstrap-db", "bootstrap-vault", "bootstrap-s3"] as const;
/** An exact version (`2.10.24`, `v1.8.0`, `15.10-alpine`) or a digest; never a floating tag. */
const PINNED_IMAGE = /(@sha256:[0-9a-f]{64}$)|(:v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?$)/;
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

/** A one-shot job: runs to completion once (`restart: "no"`), awaited by its dependants. */
function isOneShot(service: unknown): boolean {
  return isNode(service) && service.restart === "no";
}

/** A check of one service; pushes `where: …` problems. */
type ServiceCheck = (
  where: string,
  service: Node,
  ctx: { deployDir: string; services: Node; problems: string[] },
) => void;

const checkHealth: ServiceCheck = (where, service, { problems }) => {
  const hc = service.healthcheck;
  const has = isNode(hc) && hc.test !== undefined && hc.disable !== true;
  if (!isOneShot(service) && !has) problems.push(`${where}: no healthcheck`);
};

const checkImage: ServiceCheck = (where, service, { problems }) => {
  if (service.build !== undefined) return;
  const image = typeof service.image === "string" ? service.image : undefined;
  if (image === undefined) problems.push(`${where}: neither image nor build`);
  else if (!PINNED_IMAGE.test(image)) problems.push(`${where}: image ${image} is not pinned to a version or digest`);
};

const checkEnvironment: ServiceCheck = (where, service, { problems }) => {
  for (const [key, value] of environmentOf(service)) {
    if (SECRET_NAME.test(key) && !key.endsWith("_FILE")) {
      problems.push(`${where}.environment.${key}: secret-looking variable inlined; use env_file or *_FILE`);
    }
    if (URL_WITH_PASSWORD.test(value)) problems.push(`${where}.environment.${key}: URL carries a password`);
  }
};

const checkEnvFiles: ServiceCheck = (where, service, { deployDir, problems }) => {
  for (const entry of listOf(service.env_file)) {
    const path = isNode(entry) ? String(entry.path) : String(entry);
    if (!path.startsWith("./secrets/")) problems.push(`${where}.env_file ${path}: env files live in deploy/secrets/`);
    if (!existsSync(join(deployDir, `${path}.example`))) problems.push(`${where}.env_file ${path}: no ${path}.example`);
  }
};

const checkVolumes: ServiceCheck = (where, service, { deployDir, problems }) => {
  for (const volume of listOf(service.volumes)) {
    const source = isNode(volume) ? String(volume.source ?? "") : (String(volume).split(":")[0] as string);
    if (source.startsWith("./") && !existsSync(join(deployDir, source))) {
      problems.push(`${where}.volumes: ${source} does not exist`);
    }
  }
};

const checkDependsOn: ServiceCheck = (where, service, { services, problems }) => {
  const depends = isNode(service.depends_on) ? service.depends_on : {};
  for (const [dep, spec] of Object.entries(depends)) {
    const wanted = isOneShot(services[dep]) ? "service_completed_successfully" : "service_healthy";
    if (!isNode(spec) || spec.condition !== wanted)
      problems.push(`${where}.depends_on.${dep}: use condition ${wanted}`);
  }
};

const SERVICE_CHECKS = [checkHealth, checkImage, checkEnvironment, checkEnvFiles, checkVolumes, checkDependsOn];

function lintService(name: string, service: Node, deployDir: string, problems: string[], services: Node): void {
  for (const check of SERVICE_CHECKS) check(`services.${name}`, service, { deployDir, services, problems });
}

function lintNatsNode(n: string, conf: string, services: Node, problems: string[]): void {
  if (!conf.includes(`nats-route://${n}:6222`)) problems.push(`nats.conf: no cluster route to ${n}`);
  const service = services[n];
  if (!isNode(service)) return;
  const image = String(service.image ?? "");
  const version = /^nats:(\d+)\.(\d+)/.exec(image);
  const [major, minor] = version === null ? [0, 0] : [Number(version[1]), Number(version[2])];
  if (major < 2 || (major === 2 && minor < 10)) {
    problems.push(`services.${n}: image ${image} must be nats:2.10 or newer (sync_interval)`);
  }
  const mounted = listOf(service.volumes).some((v) => String(v).startsWith("./nats/nats.conf:"));
  if (!mounted) problems.push(`services.${n}: nats.conf is not mounted`);
}

function lintNats(deployDir: string, services: Node, problems: string[]): void {
  const confPath = join(deployDir, "nats", "nats.conf");
  if (!existsSync(confPath)) {
    problems.push("deploy/nats/nats.conf is missing");
    return;
  }
  const conf = readFileSync(confPath, "utf8");
  if (!/^\s*sync_interval:\s*always\s*$/m.test(conf)) problems.push("nats.conf: jetstream needs sync_interval: always");
  if (!/^accounts\s*\{/m.test(conf)) problems.push("nats.conf: no accounts (NATS must not accept anonymous clients)");
  const literal = [...conf.matchAll(/password:\s*([^\s}]+)/g)].some((m) => !(m[1] as string).startsWith("$"));
  if (literal) problems.push("nats.conf: a password is written in the file; read it from the environment");
  for (const n of ["nats-1", "nats-2", "nats-3"]) lintNatsNode(n, conf, services, problems);
}

function lintDockerfile(deployDir: string, problems: string[]): void {
  const dockerfile = join(deployDir, "Dockerfile");
  if (!existsSync(dockerfile)) {
    problems.push("deploy/Dockerfile is missing");
    return;
  }
  const text = readFileSync(dockerfile, "utf8");
  const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1] as string);
  if (
    froms.length === 0 ||
    !froms.every((f) => /^oven\/bun:[^@\s]+@sha256:[0-9a-f]{64}$/.test(f) || /^[a-z]+$/.test(f))
  ) {
    problems.push("deploy/Dockerfile: every base image must be oven/bun pinned by tag and digest");
  }
  const users = [...text.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1] as string);
  if (users.length === 0 || ["root", "0"].includes(users.at(-1) as string)) {
    problems.push("deploy/Dockerfile: the final stage must run as a non-root USER");
  }
  if (!/^HEALTHCHECK\s/m.test(text)) problems.push("deploy/Dockerfile: no HEALTHCHECK");
  const ignore = join(deployDir, "..", ".dockerignore");
  const ignored = existsSync(ignore) ? readFileSync(ignore, "utf8").split(/\r?\n/) : [];
  for (const must of [".git", ".env*", "deploy/secrets"]) {
    if (!ignored.includes(must)) problems.push(`.dockerignore must exclude ${must}`);
  }
}

function lintSementeService(name: string, service: Node, problems: string[]): void {
  const build = service.build;
  if (!isNode(build) || build.dockerfile !== "deploy/Dockerfile" || build.context !== "..") {
    problems.push(`services.${name}: must build from deploy/Dockerfile with the repository root as context`);
  }
  const command = Array.isArray(service.command) ? service.command.map(String) : [];
  const isJob = (BOOTSTRAP_JOBS as readonly string[]).includes(name);
  const expected = isJob ? ["semente", "bootstrap", name.slice("bootstrap-".length)] : [name];
  if (expected.some((word, i) => command[i] !== word)) {
    problems.push(`services.${name}: command must start with ${JSON.stringify(expected)}`);
  }
  if (isJob && !isOneShot(service)) problems.push(`services.${name}: a bootstrap job must have restart: "no"`);
  const depends = isNode(service.depends_on) ? service.depends_on : {};
  const missing = isJob ? [] : BOOTSTRAP_JOBS.filter((job) => !(job in depends));
  for (const job of missing) problems.push(`services.${name}: must start after ${job}`);
}

function lintSemente(services: Node, problems: string[]): void {
  for (const name of [...SEMENTE_SERVICES, ...BOOTSTRAP_JOBS]) {
    const service = services[name];
    if (isNode(service)) lintSementeService(name, service, problems);
  }
}

function lintS3(services: Node, problems: string[]): void {
  const s3 = services.s3;
  if (!isNode(s3)) return;
  const env = Object.fromEntries(environmentOf(s3));
  if (!env.VGW_VERSIONING_DIR)
    problems.push("services.s3: VGW_VERSIONING_DIR is required (Object Lock needs versioning)");
}

function lintSecrets(compose: Node, deployDir: string, problems: string[]): void {
  const secrets = isNode(compose.secrets) ? compose.secrets : {};
  for (const [name, secret] of Object.entries(secrets)) {
    const file = isNode(secret) ? secret.file : undefined;
    if (typeof file !== "string" || !file.startsWith("./secrets/")) {
      problems.push(`secrets.${name}: must be a file under deploy/secrets/`);
    } else if (!existsSync(join(deployDir, `${file}.example`))) {
      problems.push(`secrets.${name}: no ${file}.example`);
    }
  }
  const ignore = join(deployDir, ".gitignore");
  if (!existsSync(ignore) || !/^secrets\/\*$/m.test(readFileSync(ignore, "utf8"))) {
    problems.push("deploy/.gitignore must ignore secrets/*");
  }
}

function parseCompose(composePath: string): Node | string {
  let compose: unknown;
  try {
    compose = Bun.YAML.parse(readFileSync(composePath, "utf8"));
  } catch (error) {
    return `${composePath}: cannot be read or parsed (${error instanceof Error ? error.message : String(error)})`;
  }
  return isNode(compose) && isNode(compose.services) ? compose : `${composePath}: no services`;
}

/** Returns one message per problem found in the compose file at `composePath`. */
export function lintDeploy(composePath: string): string[] {
  const compose = parseCompose(composePath);
  if (typeof compose === "string") return [compose];
  const problems: string[] = [];
  const deployDir = dirname(composePath);
  const services = compose.services as Node;
  for (const name of [...INFRA_SERVICES, ...SEMENTE_SERVICES, ...BOOTSTRAP_JOBS]) {
    if (!isNode(services[name])) problems.push(`services.${name}: missing`);
  }
  for (const [name, service] of Object.entries(services)) {
    if (isNode(service)) lintService(name, service, deployDir, problems, services);
    else problems.push(`services.${name}: not a mapping`);
  }
  lintNats(deployDir, services, problems);
  lintSemente(services, problems);
  lintDockerfile(deployDir, problems);
  lintS3(services, problems);
  lintSecrets(compose, deployDir, problems);
  return problems;
}

if (import.meta.main) {
  const composePath = resolve(process.argv[2] ?? join(import.meta.dir, "..", "deploy", "docker-compose.yml"));
  const problems = lintDeploy(composePath);
  for (const problem of problems) console.error(`lint-deploy: ${problem}`);
  if (problems.length > 0) process.exit(1);
  console.log(`lint-deploy: ${composePath} ok`);
}
