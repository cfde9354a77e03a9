import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { canonicalRowEncoding, createBatchDigest, datasetDigest } from "../../src/determinism/index.ts";

const columns = [
  "id",
  { name: "amount", type: "numeric", scale: 2 },
  { name: "posted_on", type: "date" },
  { name: "created_at", type: "timestamptz" },
  "installments",
  "active",
  "note",
  "meta",
] as const;

const row = {
  id: "2ed6657d-e927-568b-95e1-2665a8aea6a2",
  amount: "1234.5",
  posted_on: new Date(Date.UTC(2025, 0, 2)),
  created_at: "2025-01-02T03:04:05Z",
  installments: 12,
  active: true,
  note: null,
  meta: { b: 1, a: [true, "x"] },
};

describe("canonical encoding and digests", () => {
  test("the documented encoding, exactly", () => {
    expect(canonicalRowEncoding(row, columns)).toBe(
      '["s:2ed6657d-e927-568b-95e1-2665a8aea6a2","n:1234.50","d:2025-01-02","t:2025-01-02T03:04:05.000Z",' +
        '"i:12","b:true",null,"j:{\\"a\\":[true,\\"x\\"],\\"b\\":1}"]',
    );
  });

  test("equivalent database forms encode the same (numeric strings, Dates, key order)", () => {
    const fromDb = {
      ...row,
      amount: "1234.50",
      posted_on: "2025-01-02",
      created_at: new Date("2025-01-02T03:04:05.000Z"),
      meta: { a: [true, "x"], b: 1 },
    };
    expect(canonicalRowEncoding(fromDb, columns)).toBe(canonicalRowEncoding(row, columns));
  });

  test("binary floats and over-precise numerics are refused without echoing the value", () => {
    expect(() => canonicalRowEncoding({ x: 0.1 }, ["x"])).toThrow(/column x/);
    expect(() => canonicalRowEncoding({ x: "1.005" }, [{ name: "x", type: "numeric", scale: 2 }])).toThrow(/column x/);
    let message = "";
    try {
      canonicalRowEncoding({ x: "secret-cpf" }, [{ name: "x", type: "int" }]);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe("column x: int column needs an integer");
  });

  test("batch digest is SHA-256 over encoded rows + newline, sha256:<hex>", () => {
    const d = createBatchDigest(columns);
    d.update(row);
    d.update({ ...row, installments: 13 });
    const expected = createHash("sha256")
      .update(`${canonicalRowEncoding(row, columns)}\n${canonicalRowEncoding({ ...row, installments: 13 }, columns)}\n`)
      .digest("hex");
    expect(d.rows).toBe(2);
    expect(d.digest()).toBe(`sha256:${expected}`);
    expect(() => d.update(row)).toThrow();
  });

  test("dataset digest depends on batch order and uses the domain separator", () => {
    const a = `sha256:${"a".repeat(64)}`;
    const b = `sha256:${"b".repeat(64)}`;
    const expected = createHash("sha256").update(`semente/dataset-digest/v1\n${a}\n${b}\n`).digest("hex");
    expect(datasetDigest([a, b])).toBe(`sha256:${expected}`);
    expect(datasetDigest([b, a])).not.toBe(datasetDigest([a, b]));
    expect(() => datasetDigest(["md5:00"])).toThrow(TypeError);
  });
});
