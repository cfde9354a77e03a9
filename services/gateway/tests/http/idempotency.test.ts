import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createIdempotencyStore, requestFingerprint } from "@semente/platform/request-guards";
import { parseManifest } from "@semente/core/manifest";
import { createWorld, NIGHT, profile, requester, type TestWorld, token } from "../utils.ts";

let world: TestWorld;
let admin: string;

beforeAll(async () => {
  world = await createWorld("gw_idem", { now: NIGHT, globalSlots: 10 });
  admin = await token();
});
afterAll(() => world.close());

const validate = (send: ReturnType<typeof requester>, key: string, body: string) =>
  send("POST", "/api/v1/seed-profiles/validate", { token: admin, body, headers: { "Idempotency-Key": key } });

describe("idempotency", () => {
  test("idempotency - POST without Idempotency-Key is 400", async () => {
    const res = await requester(world.gateway.app)("POST", "/api/v1/seed-profiles/validate", {
      token: admin,
      body: profile("dev", "banco-alfa"),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("IDEMPOTENCY_KEY_REQUIRED");
    expect(res.headers.get("ratelimit")).not.toBeNull();
  });

  test("idempotency - a replay returns the stored status, headers and body byte for byte", async () => {
    const send = requester(world.gateway.app);
    const body = JSON.stringify({
      manifest_yaml: profile("dev", "banco-alfa").replace("tenant: banco-alfa", "tenant: idem-a"),
      dry_run: true,
    });
    const first = await send("POST", "/api/v1/seed-runs", {
      token: admin,
      body,
      contentType: "application/json",
      headers: { "Idempotency-Key": "r-1" },
    });
    const second = await send("POST", "/api/v1/seed-runs", {
      token: admin,
      body,
      contentType: "application/json",
      headers: { "Idempotency-Key": "r-1" },
    });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(new Uint8Array(await second.arrayBuffer())).toEqual(new Uint8Array(await first.arrayBuffer()));
    for (const name of ["location", "etag", "content-type"])
      expect(second.headers.get(name)).toBe(first.headers.get(name));
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    const runs = await world.db.adminSql`select count(*)::int as n from seed.runs where tenant_id = 'idem-a'`;
    expect(runs[0]?.n).toBe(1);
  });

  test("idempotency - the same key with another manifest is 409 IDEMPOTENCY_CONFLICT", async () => {
    const send = requester(world.gateway.app);
    expect((await validate(send, "k-conflict", profile("dev", "banco-alfa"))).status).toBe(200);
    const res = await validate(send, "k-conflict", profile("dev", "banco-beta"));
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe("IDEMPOTENCY_CONFLICT");
  });

  test("idempotency - a duplicate while the first is in flight (on any replica) is 409 with Retry-After", async () => {
    const manifest = profile("dev", "banco-alfa");
    const route = "POST /api/v1/seed-profiles/validate";
    const inFlight = {
      key: "k-concurrent",
      principal: "tester",
      route,
      fingerprint: requestFingerprint(route, "tester", parseManifest(manifest).hash),
    };
    // Another replica holds the key mid-request.
    expect(await createIdempotencyStore(world.db.appSql).reserve(inFlight)).toEqual({ kind: "reserved" });
    const res = await validate(requester(world.gateway.app), "k-concurrent", manifest);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe("IDEMPOTENCY_IN_FLIGHT");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const parallel = await Promise.all(
      Array.from({ length: 8 }, () => validate(requester(world.gateway.app), "k-parallel", manifest)),
    );
    expect(parallel.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    expect(parallel.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
  });

  test("idempotency - survives a restart: a new gateway over the same database replays", async () => {
    const homolog = await world.newGateway({ environment: "homolog" });
    const before = await validate(requester(homolog.app), "k-restart", profile("homolog", "banco-alfa"));
    const restarted = await world.newGateway({ environment: "homolog" });
    const after = await validate(requester(restarted.app), "k-restart", profile("homolog", "banco-alfa"));
    expect(after.status).toBe(before.status);
    expect(await after.text()).toBe(await before.text());
    expect(after.headers.get("idempotent-replayed")).toBe("true");
  });

  test("idempotency - a 422 is stored and replayed as well", async () => {
    const send = requester(world.gateway.app);
    const broken = profile("dev", "banco-alfa").replace("key_version: 1", "key_version: 0");
    const a = await validate(send, "k-422", broken);
    const b = await validate(send, "k-422", broken);
    expect([a.status, b.status]).toEqual([422, 422]);
    expect(await b.text()).toBe(await a.text());
  });

  test("idempotency - expired keys are purged and then usable again", async () => {
    const short = await world.newGateway({ idempotencyTtlSeconds: { baseline: 1, load: 1, dr: 1 } });
    const send = requester(short.app);
    expect((await validate(send, "k-expire", profile("dev", "banco-alfa"))).status).toBe(200);
    await Bun.sleep(1100);
    const purged = await short.purgeExpired();
    expect(purged.idempotencyKeys).toBeGreaterThanOrEqual(1);
    const left = await world.db.adminSql`select key from seed.idempotency_keys where key = 'k-expire'`;
    expect(left.length).toBe(0);
    expect((await validate(send, "k-expire", profile("dev", "banco-beta"))).status).toBe(200);
  });
});
