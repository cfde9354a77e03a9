import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ensurePipelineStreams, type PipelineNames } from "@semente/platform/pipeline";
import { createTestNats, type TestNats } from "../../../packages/platform/tests/nats-harness.ts";
import { parsePrometheusText } from "../../../packages/platform/tests/telemetry/prometheus-text.ts";
import { createPlannerMetrics } from "../src/instrumentation.ts";

let nats: TestNats;
let names: PipelineNames;

beforeAll(async () => {
  nats = await createTestNats("planner_metrics");
  names = await ensurePipelineStreams(nats.jsm, { namePrefix: nats.prefix, subjectPrefix: nats.subjectPrefix });
});
afterAll(async () => {
  await nats.cleanup();
});

describe("planner metrics", () => {
  test("metrics - queue depth, DLQ size and held leases are read from the broker and the planner at scrape time", async () => {
    let active: string[] = [];
    let ready = false;
    const metrics = createPlannerMetrics(() =>
      ready ? { jsm: nats.jsm, names, modes: ["baseline", "load"], active: () => active } : undefined,
    );
    // Before the planner is wired, the gauges report nothing (no stale zeros for the queue).
    const early = parsePrometheusText(await metrics.registry.render());
    expect(early.get("semente_queue_depth")?.samples).toEqual([]);
    expect(early.get("semente_dlq_size")?.samples[0]?.value).toBeNaN();
    ready = true;
    const subject = names.batchSubject({
      mode: "baseline",
      environment: "dev",
      tenant: "acme",
      runId: crypto.randomUUID(),
    });
    await nats.js.publish(subject, "{}");
    await nats.js.publish(subject, "{}");
    active = ["r1", "r2", "r3"];
    metrics.runsFinished.inc({ environment: "dev", mode: "baseline", state: "completed" });
    const text = await metrics.registry.render();
    const families = parsePrometheusText(text);
    expect(text).toMatch(/^semente_queue_depth\{mode="baseline"\} 2$/m);
    expect(text).toMatch(/^semente_queue_depth\{mode="load"\} 0$/m);
    expect(families.get("semente_dlq_size")?.samples[0]?.value).toBe(0);
    expect(families.get("semente_lease_held")?.samples[0]?.value).toBe(3);
    expect(text).toMatch(/^semente_runs_finished_total\{environment="dev",mode="baseline",state="completed"\} 1$/m);
    // A series seen once is not kept when the next scrape cannot read it.
    ready = false;
    expect(parsePrometheusText(await metrics.registry.render()).get("semente_queue_depth")?.samples).toEqual([]);
    // A stream that does not exist (broker reset) is left out rather than reported as 0.
    const broken = createPlannerMetrics(() => ({
      jsm: nats.jsm,
      names: { ...names, streams: { ...names.streams, dr: `${nats.prefix}MISSING` }, dlq: `${nats.prefix}MISSING_DLQ` },
      modes: ["dr"],
      active: () => [],
    }));
    const brokenText = await broken.registry.render();
    expect(brokenText).not.toContain('semente_queue_depth{mode="dr"}');
    expect(parsePrometheusText(brokenText).get("semente_dlq_size")?.samples[0]?.value).toBeNaN();
  });
});
