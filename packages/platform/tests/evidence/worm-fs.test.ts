import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isSementeError } from "@semente/core/errors";
import {
  assertWormAvailable,
  createFsWormStore,
  evidenceKey,
  retainUntil,
  sha256Hex,
} from "../../src/evidence/index.ts";

const root = mkdtempSync(join(tmpdir(), "semente-worm-fs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = new Date("2026-01-10T00:00:00Z");
const bytes = new TextEncoder().encode('{"report":1}');
const sha256 = sha256Hex(bytes);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isSementeError(error)) return error.code;
    throw error;
  }
  return "resolved";
}

describe("filesystem WORM store", () => {
  test("worm-fs - writes once, read-only, with a retention sidecar, and reads back", async () => {
    const store = createFsWormStore({ dir: join(root, "a"), now: () => T0 });
    await store.preflight();
    const key = evidenceKey({ environment: "dev", tenantId: "acme", id: "0b6f3c1e-8d2a-4f5b-9c7d-1e2f3a4b5c6d" });
    const until = retainUntil(T0);
    const info = await store.put(key, bytes, { retainUntil: until, sha256 });
    expect(info.sha256).toBe(sha256);
    expect(info.location).toStartWith("file://");
    const path = join(root, "a", key);
    expect(statSync(path).mode & 0o777).toBe(0o444);
    const sidecar = JSON.parse(readFileSync(`${path}.retention.json`, "utf8"));
    expect(sidecar).toEqual({ key, sha256, size: bytes.length, retain_until: until.toISOString(), mode: "COMPLIANCE" });
    expect(statSync(`${path}.retention.json`).mode & 0o777).toBe(0o444);
    expect(Buffer.from(await store.get(key)).equals(Buffer.from(bytes))).toBe(true);
    expect(await store.head(key)).toEqual({
      key,
      location: info.location,
      sha256,
      size: bytes.length,
      retainUntil: until,
    });
    expect(await store.head("dev/acme/absent.json")).toBeNull();
    expect(await codeOf(store.get("dev/acme/absent.json"))).toBe("NOT_FOUND");
  });

  test("worm-fs - a second write of the same key is WORM_CONFLICT and leaves the object intact", async () => {
    const store = createFsWormStore({ dir: join(root, "b"), now: () => T0 });
    await store.put("k/one.json", bytes, { retainUntil: retainUntil(T0), sha256 });
    const other = new TextEncoder().encode('{"report":2}');
    expect(
      await codeOf(store.put("k/one.json", other, { retainUntil: retainUntil(T0), sha256: sha256Hex(other) })),
    ).toBe("WORM_CONFLICT");
    expect(Buffer.from(await store.get("k/one.json")).toString()).toBe('{"report":1}');
  });

  test("worm-fs - deletion before retention ends is refused; after it, allowed", async () => {
    let now = T0;
    const store = createFsWormStore({ dir: join(root, "c"), now: () => now });
    const until = retainUntil(T0);
    await store.put("k/two.json", bytes, { retainUntil: until, sha256 });
    expect(await codeOf(store.remove("k/two.json"))).toBe("WORM_CONFLICT");
    expect(await store.head("k/two.json")).not.toBeNull();
    now = new Date(until.getTime() + 1000);
    await store.remove("k/two.json");
    expect(await store.head("k/two.json")).toBeNull();
  });

  test("worm-fs - an object without its sidecar counts as retained forever", async () => {
    const dir = join(root, "d");
    const store = createFsWormStore({ dir, now: () => new Date("2100-01-01T00:00:00Z") });
    await store.put("k/three.json", bytes, { retainUntil: new Date("2102-01-01T00:00:00Z"), sha256 });
    rmSync(join(dir, "k/three.json.retention.json"), { force: true });
    expect(await codeOf(store.remove("k/three.json"))).toBe("WORM_CONFLICT");
  });

  test("worm-fs - refuses retention under a year, a wrong hash and unsafe keys", async () => {
    const store = createFsWormStore({ dir: join(root, "e"), now: () => T0 });
    const short = new Date(T0.getTime() + 30 * 86_400_000);
    expect(await codeOf(store.put("k/x.json", bytes, { retainUntil: short, sha256 }))).toBe("CONFIG_INVALID");
    expect(await codeOf(store.put("k/x.json", bytes, { retainUntil: retainUntil(T0), sha256: "0".repeat(64) }))).toBe(
      "VALIDATION_FAILED",
    );
    expect(await codeOf(store.put("../escape.json", bytes, { retainUntil: retainUntil(T0), sha256 }))).toBe(
      "VALIDATION_FAILED",
    );
    expect(() => retainUntil(T0, 364)).toThrow();
    // Across 29 February 2028, 365 days is short of one calendar year: the calendar year wins.
    const leap = new Date("2027-03-01T00:00:00Z");
    expect(retainUntil(leap).toISOString()).toBe("2028-03-01T00:00:00.000Z");
    expect(retainUntil(leap, 400).getTime()).toBe(leap.getTime() + 400 * 86_400_000);
  });

  test("worm-fs - an unusable directory fails the preflight with WORM_UNAVAILABLE", async () => {
    const file = join(root, "not-a-dir");
    writeFileSync(file, "x");
    const store = createFsWormStore({ dir: join(file, "worm") });
    expect(await codeOf(store.preflight())).toBe("WORM_UNAVAILABLE");
    expect(await codeOf(assertWormAvailable(store))).toBe("WORM_UNAVAILABLE");
    expect(await codeOf(store.put("k/y.json", bytes, { retainUntil: retainUntil(new Date()), sha256 }))).toBe(
      "WORM_UNAVAILABLE",
    );
  });
});
