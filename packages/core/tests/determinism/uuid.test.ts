import { describe, expect, test } from "bun:test";
import {
  entityNamespace,
  MAX_ROW_ORDINAL,
  prepareNamespace,
  rowId,
  SEMENTE_ROOT_NAMESPACE,
  uuidToBytes,
  uuidv5,
} from "../../src/determinism/index.ts";

const NAMESPACE_DNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
const NAMESPACE_URL = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

describe("uuid", () => {
  test("uuidv5 matches RFC 9562 appendix A.4 (DNS, www.example.com)", () => {
    expect(uuidv5(NAMESPACE_DNS, "www.example.com")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
    expect(uuidv5(uuidToBytes(NAMESPACE_DNS), "www.example.com")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
  });

  test("the root namespace is uuidv5(URL, https://semente.dev/ids)", () => {
    expect(uuidv5(NAMESPACE_URL, "https://semente.dev/ids")).toBe(SEMENTE_ROOT_NAMESPACE);
  });

  test("entity namespaces differ per tenant and entity", () => {
    const a = entityNamespace("acme", "customers");
    expect(a).toBe(uuidv5(SEMENTE_ROOT_NAMESPACE, "acme/customers"));
    expect(entityNamespace("acme", "loans")).not.toBe(a);
    expect(entityNamespace("other", "customers")).not.toBe(a);
  });

  test("rowId lays the ordinal between the namespace's first 4 and last 6 bytes (UUIDv8)", () => {
    const ns = entityNamespace("acme", "financial_transactions");
    const prepared = prepareNamespace(ns);
    const head = ns.slice(0, 8);
    const tail = ns.slice(24);
    expect(rowId(prepared, 0)).toBe(`${head}-0000-8000-8000-${tail}`);
    expect(rowId(prepared, 1)).toBe(`${head}-0000-8000-8001-${tail}`);
    expect(rowId(prepared, 0x3fff)).toBe(`${head}-0000-8000-bfff-${tail}`);
    expect(rowId(prepared, 0x4000)).toBe(`${head}-0000-8001-8000-${tail}`);
    expect(rowId(prepared, 2 ** 26)).toBe(`${head}-0001-8000-8000-${tail}`);
    expect(rowId(ns, MAX_ROW_ORDINAL)).toBe(`${head}-ffff-8fff-bfff-${tail}`);
    expect(rowId(prepared, 42)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(rowId(uuidToBytes(ns), 42)).toBe(rowId(prepared, 42));
  });

  test("rowId byte order is ordinal order (append-only primary keys)", () => {
    const prepared = prepareNamespace(entityNamespace("acme", "installments"));
    const ordinals = [0, 1, 9, 10, 0x3fff, 0x4000, 99_999, 10_000_000, 2 ** 26 - 1, 2 ** 26, 2 ** 40, MAX_ROW_ORDINAL];
    const hex = ordinals.map((o) => rowId(prepared, o).replaceAll("-", ""));
    // PostgreSQL orders uuid by its bytes, i.e. by the lower-case hex string.
    expect([...hex].sort()).toEqual(hex);
  });

  test("IDs of different tenants or entities never collide", () => {
    const a = prepareNamespace(entityNamespace("acme", "customers"));
    const b = prepareNamespace(entityNamespace("other", "customers"));
    const c = prepareNamespace(entityNamespace("acme", "loans"));
    for (const o of [0, 1, 12_345, MAX_ROW_ORDINAL]) {
      expect(rowId(a, o)).not.toBe(rowId(b, o));
      expect(rowId(a, o)).not.toBe(rowId(c, o));
    }
  });

  test("rowId is unique over 200,000 ordinals and refuses bad ordinals", () => {
    const prepared = prepareNamespace(entityNamespace("acme", "customers"));
    const ids = new Set<string>();
    for (let i = 0; i < 200_000; i++) ids.add(rowId(prepared, i));
    expect(ids.size).toBe(200_000);
    expect(() => rowId(prepared, -1)).toThrow(RangeError);
    expect(() => rowId(prepared, 1.5)).toThrow(RangeError);
    expect(() => rowId(prepared, MAX_ROW_ORDINAL + 1)).toThrow(RangeError);
  });
});
