import { describe, expect, test } from "bun:test";
import { deal, mergeLcov } from "../test.ts";

describe("test runner (scripts/test.ts)", () => {
  test("deal - longest file first to the least-loaded shard; every file exactly once; unknown files count 5 s", () => {
    const files = ["a.test.ts", "b.test.ts", "c.test.ts", "d.test.ts", "e.test.ts"];
    const shards = deal(files, { "a.test.ts": 60, "b.test.ts": 30, "c.test.ts": 29, "d.test.ts": 1 }, 2);
    expect(shards).toEqual([
      ["a.test.ts", "d.test.ts"],
      ["b.test.ts", "c.test.ts", "e.test.ts"],
    ]);
    expect(shards.flat().sort()).toEqual(files);
    // More shards than files: no empty shard is started.
    expect(deal(["x.test.ts"], {}, 4)).toEqual([["x.test.ts"]]);
  });

  test("mergeLcov - a line is covered when any shard ran it; files seen by one shard only are kept", () => {
    const one = "TN:\nSF:src/a.ts\nDA:1,1\nDA:2,0\nDA:3,0\nend_of_record\n";
    const two = "TN:\nSF:src/a.ts\nDA:1,0\nDA:2,4\nDA:3,0\nend_of_record\nTN:\nSF:src/b.ts\nDA:7,0\nend_of_record\n";
    const merged = mergeLcov([one, two]);
    expect([...merged.get("src/a.ts")!.entries()]).toEqual([
      [1, true],
      [2, true],
      [3, false],
    ]);
    expect([...merged.get("src/b.ts")!.entries()]).toEqual([[7, false]]);
  });
});
