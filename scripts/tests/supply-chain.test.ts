import { describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseAudit, runAudit } from "../audit.ts";
import { lintMigrations } from "../lint-migrations.ts";
import { lintWorkflows, unpinnedActions } from "../lint-workflows.ts";
import { breakingChanges } from "../openapi-breaking.ts";
import { buildSbom } from "../sbom.ts";

const ROOT = resolve(import.meta.dir, "../..");
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `semente-${name}-`));

describe("migration lint (squawk)", () => {
  test("gate migrations - the repository's migrations after the baseline are clean", () => {
    expect(lintMigrations(join(ROOT, "migrations"))).toEqual([]);
  });

  test("gate migrations - a non-CONCURRENTLY index on an existing table fails; the no-transaction form passes", () => {
    const dir = tmp("migrations");
    writeFileSync(join(dir, ".lint-baseline"), "33\n");
    writeFileSync(join(dir, "0010_old.sql"), "CREATE INDEX old_ix ON banking.customers (tenant_id);\n");
    writeFileSync(join(dir, "0040_index.sql"), "CREATE INDEX customers_name_ix ON banking.customers (full_name);\n");
    const findings = lintMigrations(dir);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toContain("0040_index.sql");
    expect(findings[0]).toContain("require-concurrent-index-creation");
    writeFileSync(
      join(dir, "0040_index.sql"),
      "-- semente:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS customers_name_ix ON banking.customers (full_name);\n",
    );
    expect(lintMigrations(dir)).toEqual([]);
    writeFileSync(join(dir, "0041_contract.sql"), "ALTER TABLE banking.customers ADD COLUMN nick text NOT NULL;\n");
    expect(lintMigrations(dir).join("\n")).toContain("adding-required-field");
  });
});

describe("workflow pins and packageManager", () => {
  test("gate workflows - the repository passes; a tag-pinned action and a missing packageManager fail", () => {
    expect(lintWorkflows(ROOT)).toEqual([]);
    const yaml =
      "steps:\n  - uses: actions/checkout@v4\n  - uses: ./local\n  - uses: a/b@0123456789abcdef0123456789abcdef01234567\n";
    expect(unpinnedActions(yaml, "ci.yml")).toEqual(["ci.yml:2: actions/checkout@v4 is not pinned by commit SHA"]);
    const repo = tmp("workflows");
    mkdirSync(join(repo, ".github", "workflows"), { recursive: true });
    writeFileSync(join(repo, ".github", "workflows", "ci.yml"), yaml);
    writeFileSync(join(repo, "package.json"), JSON.stringify({ name: "x" }));
    expect(lintWorkflows(repo)).toEqual([
      ".github/workflows/ci.yml:2: actions/checkout@v4 is not pinned by commit SHA",
      "package.json: packageManager must be bun@<exact version>",
    ]);
  });
});

describe("dependency audit", () => {
  test("gate audit - a critical advisory from the registry fails; none passes; no database is 'unavailable'", async () => {
    let advisories: unknown = {};
    let status = 200;
    const registry = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) =>
        new URL(req.url).pathname.endsWith("/advisories/bulk")
          ? status === 200
            ? Response.json(advisories)
            : new Response("", { status })
          : new Response("", { status: 404 }),
    });
    const env = { ...process.env, BUN_CONFIG_REGISTRY: `http://127.0.0.1:${registry.port}/` };
    try {
      advisories = {
        jose: [
          {
            id: 1,
            title: "planted critical",
            severity: "critical",
            url: "https://github.com/advisories/GHSA-0000-0000-0000",
            vulnerable_versions: "<99.0.0",
          },
        ],
      };
      const critical = await runAudit(ROOT, env);
      expect(critical).toEqual({
        kind: "critical",
        findings: ["jose <99.0.0: planted critical (https://github.com/advisories/GHSA-0000-0000-0000)"],
      });
      advisories = {};
      expect(await runAudit(ROOT, env)).toEqual({ kind: "clean" });
      status = 405;
      expect((await runAudit(ROOT, env)).kind).toBe("unavailable");
    } finally {
      registry.stop(true);
    }
    expect(
      parseAudit('{"a":[{"severity":"high","title":"t","url":"u","vulnerable_versions":"*","id":2}]}', ""),
    ).toEqual({
      kind: "clean",
    });
  }, 60_000);
});

describe("CycloneDX SBOM", () => {
  test("gate sbom - every locked package with its purl and SHA-512; deterministic; a package without integrity fails", () => {
    const lock = readFileSync(join(ROOT, "bun.lock"), "utf8");
    const { bom, problems } = buildSbom(lock);
    expect(problems).toEqual([]);
    expect(bom).toMatchObject({ bomFormat: "CycloneDX", specVersion: "1.5" });
    const components = bom.components as { purl: string; hashes: { content: string }[] }[];
    const postgres = components.find((c) => c.purl === "pkg:npm/postgres@3.4.7");
    expect(postgres?.hashes[0]?.content).toMatch(/^[0-9a-f]{128}$/);
    expect(components.some((c) => c.purl.startsWith("pkg:npm/%40nats-io/jetstream@"))).toBe(true);
    expect(JSON.stringify(buildSbom(lock).bom)).toBe(JSON.stringify(bom));
    const planted = lock.replace(/"(postgres@3\.4\.7)", "", \{[^}]*\}, "sha512-[^"]+"/, '"$1", "", {}');
    expect(buildSbom(planted).problems).toEqual(["postgres: postgres@3.4.7 has no sha512 integrity in bun.lock"]);
  });
});

describe("OpenAPI breaking changes", () => {
  const contract = () =>
    Bun.YAML.parse(readFileSync(join(ROOT, "contracts/seed-data.openapi.yaml"), "utf8")) as Record<string, unknown> & {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };

  test("gate openapi - the contract against itself, and additions, are not breaking", () => {
    const head = contract();
    expect(breakingChanges(contract(), head)).toEqual([]);
    head.paths["/api/v1/new"] = { get: { responses: { "200": { description: "ok" } } } };
    expect(breakingChanges(contract(), head)).toEqual([]);
  });

  test("gate openapi - a removed operation, a new required parameter and a removed response code fail", () => {
    const head = contract();
    delete head.paths["/api/v1/seed-runs/{id}/cancel"]?.post;
    const list = head.paths["/api/v1/seed-runs"]?.get as { parameters?: unknown[]; responses: Record<string, unknown> };
    list.parameters = [
      ...(list.parameters ?? []),
      { name: "planted", in: "query", required: true, schema: { type: "string" } },
    ];
    delete list.responses["200"];
    expect(breakingChanges(contract(), head)).toEqual([
      "GET /api/v1/seed-runs parameter query:planted: newly required",
      "GET /api/v1/seed-runs response 200: removed",
      "POST /api/v1/seed-runs/{id}/cancel: operation removed",
    ]);
  });

  test("gate openapi - a property removed from a response schema fails", () => {
    const base = contract();
    const head = structuredClone(base) as typeof base & {
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const [name, schema] =
      Object.entries(head.components.schemas).find(([, s]) => Object.keys(s.properties ?? {}).includes("state")) ?? [];
    expect(name).toBeDefined();
    delete schema?.properties?.state;
    expect(breakingChanges(base, head).some((c) => c.endsWith(".state: removed from the response"))).toBe(true);
  });
});

describe("Biome cognitive complexity", () => {
  test("gate lint - a function above the complexity limit fails `biome lint` under the repository's configuration", async () => {
    const dir = tmp("biome");
    cpSync(join(ROOT, "biome.json"), join(dir, "biome.json"));
    const config = JSON.parse(readFileSync(join(dir, "biome.json"), "utf8"));
    delete config.$schema;
    writeFileSync(join(dir, "biome.json"), JSON.stringify(config));
    const branches = Array.from(
      { length: 8 },
      (_, i) => `    if (x > ${i}) { for (const y of [${i}]) { if (y) n += y; } }`,
    );
    writeFileSync(
      join(dir, "planted.ts"),
      `export function f(x: number): number {\n  let n = 0;\n  for (let i = 0; i < x; i++) {\n${branches.join("\n")}\n  }\n  return n;\n}\n`,
    );
    const proc = Bun.spawn([join(ROOT, "node_modules/.bin/biome"), "lint", "planted.ts"], {
      cwd: dir,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    expect(code).toBe(1);
    expect(stdout + stderr).toContain("noExcessiveCognitiveComplexity");
  });
});
