import { describe, expect, test } from "bun:test";
import {
  entityNamespace,
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

  test("rowId equals uuidv5(ns, decimal ordinal) for every digit count", () => {
    const ns = entityNamespace("acme", "financial_transactions");
    const prepared = prepareNamespace(ns);
    let ordinal = 0;
    let mismatches = 0;
    for (let digits = 1; digits <= 16; digits++) {
      for (const o of [ordinal, ordinal + 1, ordinal * 3 + 7]) {
        const safe = Math.min(o, Number.MAX_SAFE_INTEGER);
        if (rowId(prepared, safe) !== uuidv5(ns, String(safe))) mismatches++;
      }
      ordinal = ordinal * 10 + 9;
    }
    expect(mismatches).toBe(0);
    expect(rowId(ns, Number.MAX_SAFE_INTEGER)).toBe(uuidv5(ns, String(Number.MAX_SAFE_INTEGER)));
    expect(rowId(prepared, 42)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test("rowId is unique over 200,000 ordinals and refuses bad ordinals", () => {
    const prepared = prepareNamespace(entityNamespace("acme", "customers"));
    const ids = new Set<string>();
    for (let i = 0; i < 200_000; i++) ids.add(rowId(prepared, i));
    expect(ids.size).toBe(200_000);
    expect(() => rowId(prepared, -1)).toThrow(RangeError);
    expect(() => rowId(prepared, 1.5)).toThrow(RangeError);
  });
});
