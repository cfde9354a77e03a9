import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createTokenVerifier, resolveAuthKeys } from "@semente/platform/auth";
import { runCli } from "../utils.ts";

const ENTRY = resolve(import.meta.dir, "token-entry.ts");
const SECRET = "cli-secret-cli-secret-cli-secret-012345";

function semente(args: string[], env: Record<string, string>, cwd?: string) {
  return runCli(ENTRY, args.slice(1), env, cwd);
}

describe("token command", () => {
  test("token - mints a verifiable dev token as the last line", async () => {
    const { stdout, code } = await semente(
      ["token", "--role", "seed-runner", "--tenant", "banco-alfa", "--env", "dev", "--ttl", "30m"],
      { GATEWAY_JWT_SECRET: SECRET, SEMENTE_ENV: "dev", CI: "true" },
    );
    expect(code).toBe(0);
    const jwt = stdout.trim().split("\n").at(-1) as string;
    const verify = await createTokenVerifier(resolveAuthKeys({ env: { GATEWAY_JWT_SECRET: SECRET } }));
    const principal = await verify(jwt);
    expect(principal.roles).toEqual(["seed-runner"]);
    expect(principal.tenants).toEqual(["banco-alfa"]);
    expect(principal.environments).toEqual(["dev"]);
  });

  test("token - refuses a non-dev environment or deployment", async () => {
    const staging = await semente(["token", "--role", "admin", "--tenant", "t1", "--env", "staging"], {
      GATEWAY_JWT_SECRET: SECRET,
    });
    expect(staging.code).toBe(7);
    expect(staging.stderr).toContain("FORBIDDEN");
    const prod = await semente(["token", "--role", "admin", "--tenant", "t1", "--env", "dev"], {
      GATEWAY_JWT_SECRET: SECRET,
      SEMENTE_ENV: "prod",
    });
    expect(prod.code).toBe(7);
  });

  test("token - without a secret, CI is refused and isolated dev generates one in .env.local", async () => {
    const ci = await semente(["token", "--role", "read", "--tenant", "t1", "--env", "dev"], { CI: "true" });
    expect(ci.code).toBe(5);
    expect(ci.stderr).toContain("DEV_KEY_FORBIDDEN");
    const dir = mkdtempSync(join(tmpdir(), "semente-token-"));
    const dev = await semente(["token", "--role", "read", "--tenant", "t1", "--env", "dev"], {}, dir);
    expect(dev.code).toBe(0);
    expect(readFileSync(join(dir, ".env.local"), "utf8")).toMatch(/^GATEWAY_JWT_SECRET=[A-Za-z0-9_-]{43}$/m);
    const again = await semente(["token", "--role", "read", "--tenant", "t1", "--env", "dev"], {}, dir);
    expect(again.code).toBe(0);
  });

  test("token - a bad role or ttl is a usage error", async () => {
    expect(
      (await semente(["token", "--role", "root", "--tenant", "t", "--env", "dev"], { GATEWAY_JWT_SECRET: SECRET }))
        .code,
    ).toBe(2);
    expect(
      (
        await semente(["token", "--role", "read", "--tenant", "t", "--env", "dev", "--ttl", "9y"], {
          GATEWAY_JWT_SECRET: SECRET,
        })
      ).code,
    ).toBe(2);
  });
});
