import { describe, expect, test } from "bun:test";
import { isSementeError } from "@semente/core/errors";
import { loadSeederConfig, parseFault } from "../src/config.ts";

const BASE = { VAULT_TOKEN: "t" };

describe("seeder config", () => {
  test("config - defaults pull every mode one batch at a time through the COPY path, without faults", () => {
    const { vars, modes, fault } = loadSeederConfig(BASE);
    expect(modes).toEqual(["baseline", "load", "dr"]);
    expect(vars.SEEDER_MAX_MESSAGES).toBe(1);
    expect(vars.SEEDER_WRITE_PATH).toBe("copy");
    expect(fault).toBeUndefined();
  });

  test("config - SEEDER_FAULT_ENTITY is ignored unless SEEDER_FAULT_INJECTION is on", () => {
    expect(loadSeederConfig({ ...BASE, SEEDER_FAULT_ENTITY: "loans:3" }).fault).toBeUndefined();
    expect(loadSeederConfig({ ...BASE, SEEDER_FAULT_ENTITY: "loans:3", SEEDER_FAULT_INJECTION: "1" }).fault).toEqual({
      entity: "loans",
      batchIndex: 3,
    });
    expect(() => parseFault(true, "loans")).toThrow(/entity>:<batchIndex/);
  });

  test("config - refuses unknown modes and a heartbeat not below the ack wait", () => {
    const bad = (env: Record<string, string>) => {
      try {
        loadSeederConfig({ ...BASE, ...env });
        return undefined;
      } catch (error) {
        return isSementeError(error) ? error.code : "other";
      }
    };
    expect(bad({ SEEDER_MODES: "baseline,carga" })).toBe("CONFIG_INVALID");
    expect(bad({ SEEDER_HEARTBEAT_MS: "30000", PIPELINE_ACK_WAIT_MS: "30000" })).toBe("CONFIG_INVALID");
    expect(bad({ SEEDER_WRITE_PATH: "insert" })).toBe("CONFIG_INVALID");
    expect(bad({ SEEDER_MODES: "load, dr" })).toBeUndefined();
  });
});
