import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, readPid, stackServices } from "../../src/commands/up.ts";

describe("semente up", () => {
  test("cli - the stack is gateway, planner, N seeders (and evidence), each with its role's database URL", () => {
    const env = {
      SEMENTE_APP_DATABASE_URL: "postgres://semente_app@db:5432/semente",
      SEMENTE_SEEDER_DATABASE_URL: "postgres://semente_seeder@db:5432/semente",
      GATEWAY_PORT: "9000",
    };
    const specs = stackServices(3, env, false);
    expect(specs.map((s) => s.name)).toEqual(["gateway", "planner", "seeder-1", "seeder-2", "seeder-3"]);
    expect(specs[0]?.env.SEMENTE_APP_DATABASE_URL).toBe(env.SEMENTE_APP_DATABASE_URL);
    expect(specs[1]?.env.SEMENTE_SEEDER_DATABASE_URL).toBe(env.SEMENTE_SEEDER_DATABASE_URL);
    expect(specs[2]?.env.SEMENTE_SEEDER_DATABASE_URL).toBe(env.SEMENTE_SEEDER_DATABASE_URL);
    expect(new Set(specs.map((s) => s.readyUrl)).size).toBe(specs.length);
    expect(specs[0]?.readyUrl).toBe("http://127.0.0.1:9000/readyz");
    expect(stackServices(1, env, true).map((s) => s.name)).toContain("evidence");
  });

  test("cli - pid files: a live pid is alive, a garbled file reads as none", () => {
    const dir = mkdtempSync(join(tmpdir(), "semente-up-"));
    mkdirSync(join(dir, "pids"));
    writeFileSync(join(dir, "pids", "planner.pid"), `${process.pid}\n`);
    writeFileSync(join(dir, "pids", "seeder-1.pid"), "garbage\n");
    expect(readPid(dir, "planner")).toBe(process.pid);
    expect(isAlive(process.pid)).toBe(true);
    expect(readPid(dir, "seeder-1")).toBeNull();
    expect(readPid(dir, "gateway")).toBeNull();
  });
});
