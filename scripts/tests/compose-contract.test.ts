import { describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { checkComposeContract } from "../compose-contract.ts";

const ROOT = resolve(import.meta.dir, "../..");
const DEPLOY = join(ROOT, "deploy");

/** A copy of deploy/ where `edit` rewrites one file, to plant a violation. */
function plant(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "semente-contract-"));
  cpSync(DEPLOY, dir, { recursive: true });
  const path = join(dir, file);
  writeFileSync(path, edit(readFileSync(path, "utf8")));
  return join(dir, "docker-compose.yml");
}

describe("compose config contract", () => {
  test("contract - every Semente container's compose environment passes its service's real loader", () => {
    expect(checkComposeContract(join(DEPLOY, "docker-compose.yml"))).toEqual([]);
  });

  test("contract - a renamed secret is unknown and its real name missing", () => {
    const compose = plant("secrets/gateway.env.example", (t) => t.replace("GATEWAY_JWT_SECRET=", "JWT_SECRET="));
    const problems = checkComposeContract(compose);
    expect(problems).toContain("services.gateway: JWT_SECRET: unknown to gateway");
    expect(problems.some((p) => p.startsWith("services.gateway: GATEWAY_JWT_SECRET:"))).toBe(true);
  });

  test("contract - invalid values, wrong roles, R1 and a health port the service does not read fail", () => {
    const compose = plant("docker-compose.yml", (t) =>
      t
        .replace('NATS_REPLICAS: "3"', 'NATS_REPLICAS: "1"')
        .replace('EVIDENCE_HEALTH_PORT: "9090"', 'HEALTH_PORT: "9090"')
        .replace('GATEWAY_PORT: "8080"', 'GATEWAY_PORT: "80a"'),
    );
    const problems = checkComposeContract(compose);
    expect(problems).toContain("services.evidence: HEALTH_PORT: unknown to evidence");
    expect(problems).toContain("services.seeder: NATS_REPLICAS: staging streams and buckets are R3");
    expect(problems).toContain('services.gateway: GATEWAY_PORT: expected an integer, got "80a"');
    const seederRole = checkComposeContract(
      plant("secrets/planner.env.example", (t) =>
        t.replace("DATABASE_URL=postgres://semente_app", "DATABASE_URL=postgres://semente_seeder"),
      ),
    );
    expect(seederRole).toContain(
      "services.planner: SEMENTE_APP_DATABASE_URL: must connect as semente_app, not semente_seeder",
    );
    const formerName = checkComposeContract(
      plant("secrets/seeder.env.example", (t) => t.replace("SEMENTE_SEEDER_DATABASE_URL=", "DATABASE_URL=")),
    );
    expect(formerName).toContain(
      "services.seeder: DATABASE_URL: deprecated name, the manifests use SEMENTE_SEEDER_DATABASE_URL",
    );
  });

  test("contract - bootstrap jobs are checked against the bootstrap verbs' variables", () => {
    const compose = plant("secrets/bootstrap-db.env.example", (t) => `${t}SEMENTE_ADMIN_PASSWORD=x\n`);
    expect(checkComposeContract(compose)).toEqual([
      "services.bootstrap-db: SEMENTE_ADMIN_PASSWORD: unknown to semente bootstrap db",
    ]);
  });
});

describe("fatal start-up line", () => {
  test("a service that cannot start names every bad variable, never a secret's value", async () => {
    const secret = `s3cr3t-${crypto.randomUUID()}`;
    const proc = Bun.spawn([process.execPath, join(ROOT, "services/gateway/src/main.ts")], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        SEMENTE_ENV_FILE: "/nonexistent/.env",
        NATS_URL: `nats://semente:${secret}@nats-1:4222,::bad`,
        GATEWAY_PORT: "http",
        GATEWAY_JWT_SECRET: secret,
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(1);
    expect(stderr).not.toContain(secret);
    const line = JSON.parse(stderr.trim().split("\n").at(-1) as string);
    expect(line.code).toBe("CONFIG_INVALID");
    expect(line.variables.map((v: { variable: string }) => v.variable)).toEqual(["NATS_URL", "GATEWAY_PORT"]);
  });
});
