import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ignored, materialize, parseDockerfile } from "../image-layout.ts";

const ROOT = resolve(import.meta.dir, "../..");
const DOCKERFILE = join(ROOT, "deploy/Dockerfile");
const ENTRIES = [
  "services/gateway/src/main.ts",
  "services/planner/src/main.ts",
  "services/seeder/src/main.ts",
  "services/evidence/src/main.ts",
  "packages/cli/src/main.ts",
  "deploy/healthcheck.ts",
];

let out: string;
let app: string;
let context: string[];

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), "semente-image-"));
  const layout = materialize(ROOT, DOCKERFILE, out);
  context = layout.context;
  app = join(layout.stages.runtime as string, "app");
}, 120_000);

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
}, 60_000);

describe("image layout (deploy/Dockerfile replayed without Docker)", () => {
  test("image - two stages on the same digest-pinned oven/bun base; the runtime stage is non-root", () => {
    const stages = parseDockerfile(readFileSync(DOCKERFILE, "utf8"));
    expect(stages.map((s) => s.name)).toEqual(["deps", "runtime"]);
    for (const s of stages) expect(s.base).toMatch(/^oven\/bun:[\w.-]+@sha256:[0-9a-f]{64}$/);
    expect(readFileSync(DOCKERFILE, "utf8")).toMatch(/^USER bun$/m);
  });

  test("image - the build context holds no local secret, git metadata, tests or node_modules", () => {
    expect(context.length).toBeGreaterThan(100);
    for (const f of context) {
      expect(f).not.toMatch(/(^|\/)\.env|^\.git\/|(^|\/)node_modules\/|(^|\/)tests\/|^deploy\/secrets\//);
    }
    expect(ignored(".env.local", [".env*"])).toBe(true);
    expect(ignored("services/seeder/tests/a.test.ts", ["**/tests"])).toBe(true);
    expect(ignored("deploy/secrets/gateway.env", ["deploy/secrets"])).toBe(true);
    expect(ignored("services/seeder/src/main.ts", ["**/tests", ".env*"])).toBe(false);
  });

  test("image - every service entry, the CLI and the healthcheck bundle from the image layout alone", async () => {
    for (const entry of ENTRIES) {
      expect(existsSync(join(app, entry))).toBe(true);
      const result = await Bun.build({ entrypoints: [join(app, entry)], target: "bun", throw: false });
      if (!result.success) console.error(entry, result.logs.map(String).join("\n"));
      expect(result.success).toBe(true);
    }
    // Only production dependencies were installed: the dev toolchain is absent.
    expect(existsSync(join(app, "node_modules/typescript"))).toBe(false);
    expect(existsSync(join(app, "node_modules/.bun"))).toBe(true);
  }, 120_000);

  test("image - the CLI runs in the layout, and the entrypoint names the same service entries", async () => {
    const proc = Bun.spawn([process.execPath, join(app, "packages/cli/src/main.ts"), "help"], {
      cwd: app,
      env: { PATH: process.env.PATH ?? "", SEMENTE_ENV_FILE: "/nonexistent/.env" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(code).toBe(0);
    expect(stdout).toContain("bootstrap");
    const entrypoint = readFileSync(join(app, "deploy/entrypoint.sh"), "utf8");
    expect(entrypoint).toContain(['exec bun "/app/services/$', '{what}/src/main.ts"'].join(""));
    expect(entrypoint).toContain("gateway | planner | seeder | evidence)");
    for (const file of ["migrations", "configs/finops/seed-data.cost-model.yaml", "contracts/seed-data.openapi.yaml"]) {
      expect(existsSync(join(app, file))).toBe(true);
    }
  });
});
