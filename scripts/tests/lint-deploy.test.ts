import { describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { lintDeploy } from "../lint-deploy.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** A copy of the repository's deploy/ (and .dockerignore) with one file rewritten. */
function plant(file: string, edit: (text: string) => string): string {
  const root = mkdtempSync(join(tmpdir(), "semente-lint-deploy-"));
  cpSync(join(ROOT, "deploy"), join(root, "deploy"), { recursive: true });
  cpSync(join(ROOT, ".dockerignore"), join(root, ".dockerignore"));
  const path = join(root, file);
  writeFileSync(path, edit(readFileSync(path, "utf8")));
  return join(root, "deploy", "docker-compose.yml");
}

describe("lint-deploy", () => {
  test("lint-deploy - the shipped stack passes", () => {
    expect(lintDeploy(join(ROOT, "deploy", "docker-compose.yml"))).toEqual([]);
  });

  test("lint-deploy - a floating tag, a service not waiting for a bootstrap job and a wrong condition fail", () => {
    const compose = plant("deploy/docker-compose.yml", (t) =>
      t
        .replace("image: postgres:15.10-alpine", "image: postgres:15")
        .replace("  bootstrap-s3:\n    condition: service_completed_successfully\n", "")
        .replace(
          "      s3-dirs:\n        condition: service_completed_successfully",
          "      s3-dirs:\n        condition: service_healthy",
        ),
    );
    const problems = lintDeploy(compose);
    expect(problems).toContain("services.postgres: image postgres:15 is not pinned to a version or digest");
    expect(problems).toContain("services.gateway: must start after bootstrap-s3");
    expect(problems).toContain("services.s3.depends_on.s3-dirs: use condition service_completed_successfully");
  });

  test("lint-deploy - a literal NATS password, no accounts, a floating base image, root and a leaky context fail", () => {
    const nats = plant("deploy/nats/nats.conf", (t) =>
      t.replace("password: $NATS_SYS_PASSWORD", "password: hunter2").replace(/^accounts \{/m, "accountz {"),
    );
    expect(lintDeploy(nats)).toEqual([
      "nats.conf: no accounts (NATS must not accept anonymous clients)",
      "nats.conf: a password is written in the file; read it from the environment",
    ]);
    const docker = plant("deploy/Dockerfile", (t) =>
      t.replace(/^FROM oven\/bun:[^ ]+ AS runtime$/m, "FROM oven/bun:1 AS runtime").replace("USER bun", "USER root"),
    );
    expect(lintDeploy(docker)).toEqual([
      "deploy/Dockerfile: every base image must be oven/bun pinned by tag and digest",
      "deploy/Dockerfile: the final stage must run as a non-root USER",
    ]);
    const ignore = plant(".dockerignore", (t) => t.replace(".env*\n", ""));
    expect(lintDeploy(ignore)).toEqual([".dockerignore must exclude .env*"]);
  });
});
