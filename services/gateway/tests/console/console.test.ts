import { describe, expect, test } from "bun:test";
import { consoleBundle } from "../../src/routes/console.ts";
import { token } from "../utils.ts";
import { ARTIFACTS } from "./browser.ts";
import { executeRun, KID, newestRun, newPage, runWithDeadBatch, signIn, useConsoleWorld } from "./console-world.ts";

const c = useConsoleWorld();

describe("console in headless Chromium", () => {
  test("console - the bundle is small and the page loads nothing from elsewhere", async () => {
    const js = await consoleBundle();
    expect(js.length).toBeLessThan(150 * 1024);
    const res = await fetch(`${c.base}/console`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect((await fetch(`${c.base}/console/app.js`)).headers.get("content-type")).toContain("javascript");
  });

  test("console - sign in with a dev token, start a dev seed, watch 100 %, see the evidence and its signature", async () => {
    const page = await newPage();
    const requests: string[] = [];
    page.on("request", (r) => void requests.push(r.url()));
    await signIn(page);
    await page.screenshot({ path: `${ARTIFACTS}/console-runs.png`, fullPage: true });
    await page.getByLabel("Profile").selectOption("banco-alfa");
    await page.getByRole("button", { name: "Start" }).click();
    await page.getByRole("heading", { name: /^Run / }).waitFor();
    const runId = await newestRun("banco-alfa");
    const digest = executeRun(runId, "banco-alfa");
    await page.locator("#run-state[data-state=running]").waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}/console-run-progress.png`, fullPage: true });
    await digest;
    await page.locator("#run-state[data-state=completed]").waitFor({ timeout: 15_000 });
    const entities = page.locator(".entity");
    const count = await entities.count();
    expect(count).toBeGreaterThan(5);
    for (let i = 0; i < count; i++) expect(await entities.nth(i).getAttribute("data-pct")).toBe("100");
    await page.locator("#signature[data-status=valid]").waitFor({ timeout: 15_000 });
    expect(await page.locator("#signature").textContent()).toBe(`Signature: valid (key ${KID})`);
    expect(await page.locator("#digest").textContent()).toContain(await digest);
    expect(await page.locator("#checklist li").count()).toBe(2);
    expect(await page.locator("#download").getAttribute("download")).toBe(`evidence-${runId}.dsse.json`);
    expect(await page.locator("#rate").textContent()).toMatch(/rows\/s/);
    await page.screenshot({ path: `${ARTIFACTS}/console-run-evidence.png`, fullPage: true });
    expect(requests.every((u) => u.startsWith(c.base) || u.startsWith("blob:") || u.startsWith("data:"))).toBe(true);
    await page.close();
  }, 60_000);

  test("console - a tampered report shows an invalid signature", async () => {
    const page = await newPage();
    await page.route("**/api/v1/seed-runs/*/evidence", async (r) => {
      const res = await r.fetch();
      const envelope = (await res.json()) as { payload: string };
      const report = JSON.parse(Buffer.from(envelope.payload, "base64").toString());
      report.checklist[0].status = "fail";
      envelope.payload = Buffer.from(JSON.stringify(report)).toString("base64");
      await r.fulfill({ response: res, body: JSON.stringify(envelope) });
    });
    await signIn(page);
    const runId = await newestRun("banco-alfa");
    await page.goto(`${c.base}/console#/runs/${runId}`);
    await page.locator("#signature[data-status=invalid]").waitFor({ timeout: 15_000 });
    await page.close();
  }, 30_000);

  test("console - cancel a run with its ETag", async () => {
    const page = await newPage();
    await signIn(page);
    await page.getByLabel("Profile").selectOption("banco-beta");
    await page.getByRole("button", { name: "Start" }).click();
    await page.locator("#run-state[data-state=admitted]").waitFor({ timeout: 15_000 });
    await page.getByRole("button", { name: "Cancel run" }).click();
    await page.locator("#run-state[data-state=cancelled]").waitFor({ timeout: 15_000 });
    expect(await page.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/console-cancelled.png`, fullPage: true });
    const runId = await newestRun("banco-beta");
    const audit = await c.world.db
      .adminSql`select actor from seed.audit_log where run_id = ${runId} and action = 'run.cancelled'`;
    expect(audit.map((a) => a.actor)).toEqual(["console-dev"]);
    await page.close();
  }, 30_000);

  test("console - the runs list filters by tenant, environment, state and mode", async () => {
    const page = await newPage();
    await signIn(page);
    await page.getByLabel("Tenant").fill("banco-beta");
    await page.getByLabel("Environment").selectOption("dev");
    await page.getByLabel("State").selectOption("cancelled");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/state=cancelled/);
    // The filtered page replaces the unfiltered one: wait until the table holds only its rows
    // (the page's CSP forbids the string evaluation waitForFunction would need).
    const stateCells = page.locator("tbody tr td:nth-child(5)");
    for (let i = 0; i < 100; i++) {
      const now = await stateCells.allTextContents();
      if (now.length > 0 && now.every((t) => t === "cancelled")) break;
      await Bun.sleep(50);
    }
    const rows = page.locator("tbody tr");
    const states = await rows.locator("td:nth-child(5)").allTextContents();
    expect(states.length).toBeGreaterThan(0);
    expect(new Set(states)).toEqual(new Set(["cancelled"]));
    expect(new Set(await rows.locator("td:nth-child(2)").allTextContents())).toEqual(new Set(["banco-beta"]));
    await page.getByLabel("Mode").selectOption("load");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.locator("#status", { hasText: "0 run(s)" }).waitFor();
    expect(await page.locator("tbody tr").count()).toBe(0);
    await page.close();
  }, 30_000);

  test("console - a read token sees no cancel or start, and the API refuses them anyway", async () => {
    const run = await c.world.db.adminSql<{ id: string }[]>`
      insert into seed.runs (id, environment, tenant_id, mode, state, manifest_hash, manifest_version, manifest,
        reference_datetime, key_version, principal, queued_until)
      values (gen_random_uuid(), 'dev', 'banco-read', 'baseline', 'queued', ${"ab".repeat(32)}, '1', '{}',
        now(), 1, 'tester', now() + interval '1 hour')
      returning id`;
    const runId = run[0]?.id as string;
    const reader = await token({ sub: "console-reader", roles: ["read"], tenants: ["*"], environments: ["dev"] });
    const page = await newPage();
    await signIn(page, reader);
    expect(await page.getByRole("button", { name: "Start" }).count()).toBe(0);
    await page.goto(`${c.base}/console#/runs/${runId}`);
    await page.locator("#run-state[data-state=queued]").waitFor({ timeout: 15_000 });
    expect(await page.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/console-read-token.png`, fullPage: true });
    const refused = await page.evaluate(
      async ([id, bearer]) => {
        const res = await fetch(`/api/v1/seed-runs/${id}/cancel`, {
          method: "POST",
          headers: { Authorization: `Bearer ${bearer}`, "If-Match": "*", "Idempotency-Key": crypto.randomUUID() },
        });
        return { status: res.status, body: (await res.json()) as { code: string } };
      },
      [runId, reader] as const,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe("FORBIDDEN");
    await page.close();
  }, 30_000);

  test("console - an admin replays a dead batch from the run page; a read token sees no Replay and the API refuses it", async () => {
    const { runId, entity, batchIndex } = await runWithDeadBatch("banco-dlq");
    const page = await newPage();
    await signIn(page);
    await page.goto(`${c.base}/console#/runs/${runId}`);
    const button = page.getByRole("button", { name: `Replay batch ${entity} #${batchIndex}` });
    await button.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}/console-dlq-replay.png`, fullPage: true });
    await button.click();
    await page.locator("#dlq td", { hasText: "replayed" }).waitFor({ timeout: 15_000 });
    const [claim] = await c.world.db
      .adminSql`select state, principal from seed.dlq_replays where source_run = ${runId}`;
    expect(claim).toEqual({ state: "done", principal: "console-dev" });
    await page.close();

    const reader = await token({ sub: "console-reader", roles: ["read"], tenants: ["*"], environments: ["dev"] });
    const readPage = await newPage();
    await signIn(readPage, reader);
    await readPage.goto(`${c.base}/console#/runs/${runId}`);
    await readPage.locator("#dlq tbody tr").waitFor({ timeout: 15_000 });
    await Bun.sleep(500);
    expect(await readPage.getByRole("button", { name: /^Replay/ }).count()).toBe(0);
    expect(await readPage.locator("#dlq th", { hasText: "Replay" }).count()).toBe(0);
    await readPage.screenshot({ path: `${ARTIFACTS}/console-dlq-read-token.png`, fullPage: true });
    const refused = await readPage.evaluate(
      async ([id, bearer]) => {
        const list = await fetch(`/api/v1/seed-runs/${id}/dlq`, { headers: { Authorization: `Bearer ${bearer}` } });
        const { items } = (await list.json()) as { items: { entry: string }[] };
        const res = await fetch(`/api/v1/seed-runs/${id}/dlq/${items[0]?.entry}/replay`, {
          method: "POST",
          headers: { Authorization: `Bearer ${bearer}`, "Idempotency-Key": crypto.randomUUID() },
        });
        return { status: res.status, body: (await res.json()) as { code: string } };
      },
      [runId, reader] as const,
    );
    expect(refused).toEqual({ status: 403, body: expect.objectContaining({ code: "FORBIDDEN" }) });
    await readPage.close();
  }, 60_000);

  test("docs - the API reference renders the contract from local assets only", async () => {
    const page = await c.context.newPage();
    const requests: string[] = [];
    page.on("request", (r) => void requests.push(r.url()));
    await page.goto(`${c.base}/docs`);
    await page.locator(".swagger-ui .info .title", { hasText: "Semente seed-data API" }).waitFor({ timeout: 20_000 });
    await page.locator(".opblock-summary-path", { hasText: "/api/v1/seed-runs/{id}/events" }).first().waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/docs.png` });
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((u) => !u.startsWith(c.base) && !u.startsWith("data:"))).toEqual([]);
    const contract = await fetch(`${c.base}/docs/openapi.yaml`);
    expect(contract.headers.get("content-type")).toBe("application/yaml");
    expect(await contract.text()).toBe(
      await Bun.file(`${import.meta.dir}/../../../../contracts/seed-data.openapi.yaml`).text(),
    );
    await page.close();
  }, 30_000);
});
