import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authOptions, natsOptionsFromVars, serverList } from "../../src/bus/index.ts";
import { badVariables, loadConfig, NATS_VARS, startupFailureLine } from "../../src/config/index.ts";
import { SementeError } from "@semente/core/errors";

const CREDS = `-----BEGIN NATS USER JWT-----
eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJqdGkiOiJUVlNNTEtTWkJBN01VWDNYQUxNUVQzTjRISUw1UkZGQU9YNUtaUFhEU0oyWlAzNkVMNVJBIiwiaWF0IjoxNTU4MDQ1NTYyLCJpc3MiOiJBQlZTQk0zVTQ1REdZRVVFQ0tYUVM3QkVOSFdHN0tGUVVEUlRFSEFKQVNPUlBWV0JaNEhPSUtDSCIsIm5hbWUiOiJvbWVnYSIsInN1YiI6IlVEWEIyVk1MWFBBU0FKN1pEVEtZTlE3UU9DRldTR0I0Rk9NWVFRMjVIUVdTQUY3WlFKRUJTUVNXIiwidHlwZSI6InVzZXIiLCJuYXRzIjp7InB1YiI6e30sInN1YiI6e319fQ.6TQ2ilCDb6m2ZDiJuj_D_OePGXFyN3Ap2DEm3ipcU5AhrWrNvneJryWrpgi_yuVWKo1UoD5s8bxlmwypWVGFAA
------END NATS USER JWT------

-----BEGIN USER NKEY SEED-----
SUAEL6GG2L2HIF7DUGZJGMRUFKXELGGYFMHF76UO2AYBG3K4YLWR3FKC2Q
------END USER NKEY SEED------
`;

describe("NATS configuration", () => {
  test("NATS_URL takes a comma-separated cluster list; every server is checked on its own", () => {
    const vars = loadConfig(NATS_VARS, { NATS_URL: "nats://n1:4222, nats://n2:4222,nats://n3:4222" });
    expect(vars.NATS_URL).toEqual(["nats://n1:4222", "nats://n2:4222", "nats://n3:4222"]);
    expect(vars.NATS_REPLICAS).toBe(1);
    expect(loadConfig(NATS_VARS, {}).NATS_URL).toEqual(["nats://127.0.0.1:4222"]);
    expect(() => loadConfig(NATS_VARS, { NATS_URL: "nats://a:4222,http://b:80" })).toThrow(
      "NATS_URL: server 2: expected a nats: or tls: or ws: or wss: URL",
    );
    expect(() => loadConfig(NATS_VARS, { NATS_URL: "nats://u:s3cret@a:4222,::nope" })).toThrow(
      "NATS_URL: server 2 is not a valid URL",
    );
    expect(() => loadConfig(NATS_VARS, { NATS_URL: " , " })).toThrow("expected at least one NATS URL");
  });

  test("NATS_REPLICAS is 1–5", () => {
    expect(loadConfig(NATS_VARS, { NATS_REPLICAS: "3" }).NATS_REPLICAS).toBe(3);
    expect(() => loadConfig(NATS_VARS, { NATS_REPLICAS: "0" })).toThrow("NATS_REPLICAS");
    expect(() => loadConfig(NATS_VARS, { NATS_REPLICAS: "7" })).toThrow("NATS_REPLICAS");
  });

  test("serverList splits comma-separated strings and arrays alike", () => {
    expect(serverList("nats://a:1,nats://b:2")).toEqual(["nats://a:1", "nats://b:2"]);
    expect(serverList(["nats://a:1", "nats://b:2, nats://c:3"])).toEqual(["nats://a:1", "nats://b:2", "nats://c:3"]);
  });

  test("credentials: creds file first, then user/password, then token; an unreadable file names NATS_CREDS", () => {
    const dir = mkdtempSync(join(tmpdir(), "semente-nats-creds-"));
    const file = join(dir, "app.creds");
    writeFileSync(file, CREDS);
    expect(typeof authOptions({ credsFile: file, user: "u", token: "t" }).authenticator).toBe("function");
    expect(authOptions({ user: "app", password: "pw", token: "t" })).toEqual({ user: "app", pass: "pw" });
    expect(authOptions({ token: "tok" })).toEqual({ token: "tok" });
    expect(authOptions({})).toEqual({});
    expect(() => authOptions({ credsFile: join(dir, "missing.creds") })).toThrow("NATS_CREDS: file cannot be read");
    const vars = loadConfig(NATS_VARS, { NATS_URL: "nats://a:1,nats://b:2", NATS_TOKEN: "tok" });
    expect(natsOptionsFromVars(vars, "gateway")).toEqual({
      servers: ["nats://a:1", "nats://b:2"],
      name: "gateway",
      auth: { credsFile: "", user: "", password: "", token: "tok" },
    });
  });
});

describe("fatal start-up line", () => {
  test("names every bad variable and why, never a value", () => {
    let error: unknown;
    try {
      loadConfig({ ...NATS_VARS }, { NATS_URL: "nats://user:hunter2@a:4222,bad", NATS_REPLICAS: "9" });
    } catch (e) {
      error = e;
    }
    const line = startupFailureLine("gateway", error);
    expect(line).not.toContain("hunter2");
    const parsed = JSON.parse(line);
    expect(parsed).toMatchObject({ level: "fatal", service: "gateway", code: "CONFIG_INVALID" });
    expect(parsed.variables).toEqual([
      { variable: "NATS_URL", problem: "server 2 is not a valid URL" },
      { variable: "NATS_REPLICAS", problem: "expected an integer in [1, 5], got 9" },
    ]);
  });

  test("variables named in a Semente message are blamed; foreign errors keep only their class", () => {
    const named = badVariables(new SementeError("CONFIG_INVALID", "VAULT_TOKEN is required for vault-transit"));
    expect(named).toEqual([{ variable: "VAULT_TOKEN", problem: "VAULT_TOKEN is required for vault-transit" }]);
    const foreign = JSON.parse(startupFailureLine("seeder", new TypeError("postgres://u:pw@h failed")));
    expect(foreign).toEqual({
      level: "fatal",
      service: "seeder",
      msg: "seeder failed",
      code: "INTERNAL",
      reason: "TypeError",
    });
    expect(badVariables("nope")).toEqual([]);
  });
});
