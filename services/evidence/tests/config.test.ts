import { describe, expect, test } from "bun:test";
import { isSementeError } from "@semente/core/errors";
import { loadEvidenceConfig, wormStoreFromConfig } from "../src/config.ts";

function configError(env: Record<string, string>): string[] {
  try {
    loadEvidenceConfig(env);
  } catch (error) {
    if (isSementeError(error)) return (error.errors ?? []).map((e) => e.pointer);
    throw error;
  }
  return [];
}

describe("evidence config", () => {
  test("config - defaults: filesystem WORM, one year of retention, Vault Transit keys, the app role", () => {
    const vars = loadEvidenceConfig({});
    expect(vars.EVIDENCE_WORM_BACKEND).toBe("filesystem");
    expect(vars.EVIDENCE_RETENTION_DAYS).toBe(365);
    expect(vars.KEY_PROVIDER).toBe("vault-transit");
    expect(new URL(vars.SEMENTE_APP_DATABASE_URL).username).toBe("semente_app");
    expect(wormStoreFromConfig(vars).kind).toBe("filesystem");
  });

  test("config - retention under 365 days and S3 without a bucket are refused", () => {
    expect(configError({ EVIDENCE_RETENTION_DAYS: "364" })).toEqual(["/env/EVIDENCE_RETENTION_DAYS"]);
    expect(configError({ EVIDENCE_WORM_BACKEND: "s3" })).toEqual(["/env/EVIDENCE_S3_BUCKET"]);
    const s3 = loadEvidenceConfig({
      EVIDENCE_WORM_BACKEND: "s3",
      EVIDENCE_S3_BUCKET: "evidence",
      EVIDENCE_RETENTION_DAYS: "400",
    });
    expect(wormStoreFromConfig(s3).location("dev/a/r.json")).toBe("s3://evidence/evidence/dev/a/r.json");
    expect(s3.EVIDENCE_RETENTION_DAYS).toBe(400);
  });

  test("config - the filesystem WORM store is refused outside dev (staging uses S3 Object Lock)", () => {
    for (const env of ["staging", "perf", "prod", "homolog"]) {
      expect(configError({ SEMENTE_ENV: env })).toEqual(["/env/EVIDENCE_WORM_BACKEND"]);
      const s3 = loadEvidenceConfig({ SEMENTE_ENV: env, EVIDENCE_WORM_BACKEND: "s3", EVIDENCE_S3_BUCKET: "evidence" });
      expect(wormStoreFromConfig(s3).kind).toBe("s3");
    }
    expect(configError({ SEMENTE_ENV: "dev", EVIDENCE_WORM_BACKEND: "filesystem" })).toEqual([]);
  });
});
