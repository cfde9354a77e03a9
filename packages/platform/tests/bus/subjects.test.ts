import { describe, expect, test } from "bun:test";
import { sanitizeToken, subjects } from "../../src/bus/index.ts";

describe("subjects", () => {
  test("bus - run event subjects follow seed.run.<env>.<tenant>.<run>.<event>", () => {
    const run = { environment: "staging", tenantId: "acme-bank", id: "6f1c2d3e-0000-4000-8000-000000000001" };
    expect(subjects.runEvent(run, "admitted")).toBe(
      "seed.run.staging.acme-bank.6f1c2d3e-0000-4000-8000-000000000001.admitted",
    );
    expect(subjects.runEvent(run, "queued", "t_x.")).toBe(
      "t_x.seed.run.staging.acme-bank.6f1c2d3e-0000-4000-8000-000000000001.queued",
    );
    expect(subjects.allRunEvents()).toBe("seed.run.>");
    expect(subjects.environmentRunEvents("perf", "p.")).toBe("p.seed.run.perf.>");
  });

  test("bus - tokens cannot inject separators or wildcards", () => {
    expect(sanitizeToken("a.b")).toBe("a_b");
    expect(sanitizeToken("*")).toBe("_");
    expect(sanitizeToken("x>y z\n")).toBe("x_y_z_");
    expect(sanitizeToken("")).toBe("_");
    const subject = subjects.runEvent({ environment: "dev.>", tenantId: "t*", id: "r 1" }, "failed");
    expect(subject.split(".")).toEqual(["seed", "run", "dev__", "t_", "r_1", "failed"]);
  });
});
