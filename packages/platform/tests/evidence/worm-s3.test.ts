import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  assertWormAvailable,
  createS3WormStore,
  readWormLocation,
  retainUntil,
  sha256Hex,
} from "../../src/evidence/index.ts";
import { type S3TestServer, startS3Server } from "./s3-server.ts";
import { failure } from "./utils.ts";

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(() => s3.stop());

const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
const store = (now = () => new Date()) =>
  createS3WormStore({
    bucket: s3.bucket,
    prefix: "evidence/",
    endpoint: s3.url,
    credentials,
    maxAttempts: 1,
    requestTimeoutMs: 5000,
    now,
  });
const bytes = new TextEncoder().encode('{"payloadType":"x","payload":"eyJ9","signatures":[]}');
const sha256 = sha256Hex(bytes);

describe("S3 WORM store", () => {
  test("worm-s3 - PutObject carries the Object Lock and checksum headers on the wire, then reads back", async () => {
    const until = retainUntil(new Date());
    const before = s3.requests.length;
    const info = await store().put("dev/acme/run-1/evidence.dsse.json", bytes, { retainUntil: until, sha256 });
    expect(info.location).toBe(`s3://${s3.bucket}/evidence/dev/acme/run-1/evidence.dsse.json`);
    const wire = s3.requests.slice(before);
    const put = wire.find((r) => r.method === "PUT");
    expect(put?.path).toStartWith(`/${s3.bucket}/evidence/dev/acme/run-1/evidence.dsse.json`);
    expect(put?.headers["x-amz-object-lock-mode"]).toBe("COMPLIANCE");
    const wireUntil = new Date(put?.headers["x-amz-object-lock-retain-until-date"] ?? "");
    expect(Math.abs(wireUntil.getTime() - until.getTime())).toBeLessThan(1000);
    expect(wireUntil.getTime() - Date.now()).toBeGreaterThanOrEqual(365 * 86_400_000 - 60_000);
    expect(put?.headers["x-amz-checksum-sha256"]).toBe(Buffer.from(sha256, "hex").toString("base64"));
    expect(put?.headers["if-none-match"]).toBe("*");
    expect(put?.headers["x-amz-meta-sha256"]).toBe(sha256);
    // Post-upload verification: the object is fetched back after the PUT.
    const get = wire.findIndex((r) => r.method === "GET" && r.path.includes("run-1/evidence.dsse.json"));
    expect(get).toBeGreaterThan(wire.indexOf(put as never));
    expect(Buffer.from(await store().get("dev/acme/run-1/evidence.dsse.json")).equals(Buffer.from(bytes))).toBe(true);
    const head = await store().head("dev/acme/run-1/evidence.dsse.json");
    expect(head?.sha256).toBe(sha256);
    expect(head?.size).toBe(bytes.length);
    expect(Math.abs((head?.retainUntil.getTime() ?? 0) - until.getTime())).toBeLessThan(1000);
  });

  test("worm-s3 - a second write of the same key is WORM_CONFLICT; deletion under retention is refused", async () => {
    const key = "dev/acme/run-2/evidence.dsse.json";
    await store().put(key, bytes, { retainUntil: retainUntil(new Date()), sha256 });
    expect((await failure(store().put(key, bytes, { retainUntil: retainUntil(new Date()), sha256 }))).code).toBe(
      "WORM_CONFLICT",
    );
    expect((await failure(store().remove(key))).code).toBe("WORM_CONFLICT");
    expect(await store().head(key)).not.toBeNull();
    expect(await store().head("dev/acme/absent.json")).toBeNull();
    expect((await failure(store().get("dev/acme/absent.json"))).code).toBe("NOT_FOUND");
  });

  test("worm-s3 - a stored copy that reads back different fails post-upload verification", async () => {
    s3.corruptGets = true;
    try {
      const result = await failure(
        store().put("dev/acme/run-3/evidence.dsse.json", bytes, { retainUntil: retainUntil(new Date()), sha256 }),
      );
      expect(result.code).toBe("WORM_UNAVAILABLE");
      expect(result.message).toContain("post-upload verification");
    } finally {
      s3.corruptGets = false;
    }
  });

  test("worm-s3 - retention under 365 days is refused before any request", async () => {
    const before = s3.requests.length;
    const short = new Date(Date.now() + 364 * 86_400_000);
    expect((await failure(store().put("dev/acme/run-4.json", bytes, { retainUntil: short, sha256 }))).code).toBe(
      "CONFIG_INVALID",
    );
    expect(s3.requests.length).toBe(before);
  });

  test("worm-s3 - preflight passes only with Object Lock enabled", async () => {
    await store().preflight();
    expect(s3.requests.some((r) => r.method === "GET" && r.path.includes("object-lock"))).toBe(true);
    s3.objectLock = false;
    try {
      expect((await failure(assertWormAvailable(store()))).code).toBe("WORM_UNAVAILABLE");
    } finally {
      s3.objectLock = true;
    }
    const missing = createS3WormStore({ bucket: "no-such-bucket", endpoint: s3.url, credentials, maxAttempts: 1 });
    expect((await failure(missing.preflight())).code).toBe("WORM_UNAVAILABLE");
  });

  test("worm-s3 - an unreachable endpoint is WORM_UNAVAILABLE for preflight and put", async () => {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const deadUrl = `http://127.0.0.1:${server.port}`;
    server.stop(true);
    const dead = createS3WormStore({ bucket: "b-dead", endpoint: deadUrl, credentials, maxAttempts: 1 });
    const preflight = await failure(assertWormAvailable(dead));
    expect(preflight.code).toBe("WORM_UNAVAILABLE");
    expect(preflight.message).not.toContain("S3RVER");
    expect((await failure(dead.put("k/x.json", bytes, { retainUntil: retainUntil(new Date()), sha256 }))).code).toBe(
      "WORM_UNAVAILABLE",
    );
  });

  test("worm-s3 - an indexed s3:// location reads back by location alone; a missing object is NOT_FOUND", async () => {
    const info = await store().put("dev/acme/run-read/evidence.dsse.json", bytes, {
      retainUntil: retainUntil(new Date()),
      sha256,
    });
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    try {
      const read = await readWormLocation(info.location, { s3Endpoint: s3.url, s3Region: "us-east-1" });
      expect(sha256Hex(read)).toBe(sha256);
      const missing = await failure(
        readWormLocation(`s3://${s3.bucket}/evidence/none.json`, { s3Endpoint: s3.url, s3Region: "us-east-1" }),
      );
      expect(missing.code).toBe("NOT_FOUND");
      expect((await failure(readWormLocation("ftp://x/y", { s3Region: "us-east-1" }))).code).toBe("EVIDENCE_INVALID");
      expect(
        (await failure(readWormLocation("file:///nonexistent/semente/x.json", { s3Region: "us-east-1" }))).code,
      ).toBe("NOT_FOUND");
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });
});
