import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { createSql, isRetryablePgError, withTenant } from "../../src/db/index.ts";
import type { TestDatabase } from "../harness.ts";
import { createTestDatabase } from "../harness.ts";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("with_tenant");
});

afterAll(async () => {
  await db.drop();
});

describe("withTenant", () => {
  test("sets app.tenant_id, isolation and timeouts for the transaction only", async () => {
    const inside = await withTenant(
      db.seederSql,
      "tenant-a",
      async (tx) => {
        const [row] = await tx<{ tenant: string; iso: string; st: string; lt: string }[]>`
          select current_setting('app.tenant_id') as tenant, current_setting('transaction_isolation') as iso,
                 current_setting('statement_timeout') as st, current_setting('lock_timeout') as lt`;
        return row;
      },
      { isolation: "serializable", statementTimeoutMs: 30_000, lockTimeoutMs: 5_000 },
    );
    expect(inside).toEqual({ tenant: "tenant-a", iso: "serializable", st: "30s", lt: "5s" });
  });

  test("refuses a malformed tenant id before touching the database", async () => {
    let code = "";
    try {
      await withTenant(db.seederSql, "Tenant A'; --", async () => 1);
    } catch (error) {
      code = (error as { code: string }).code;
    }
    expect(code).toBe("VALIDATION_FAILED");
  });

  test("a statement timeout fails the transaction with a retryable error", async () => {
    let failure: unknown;
    try {
      await withTenant(db.seederSql, "tenant-a", (tx) => tx`select pg_sleep(2)`, { statementTimeoutMs: 50 });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(postgres.PostgresError);
    expect((failure as postgres.PostgresError).code).toBe("57014");
    expect(isRetryablePgError(failure)).toBe(true);
  });

  test("read-only transactions refuse writes", async () => {
    let code = "";
    try {
      await withTenant(
        db.seederSql,
        "tenant-a",
        (tx) => tx`update banking.customers set status = 'active' where false`,
        { readOnly: true },
      );
    } catch (error) {
      code = (error as postgres.PostgresError).code;
    }
    expect(code).toBe("25006");
  });

  test("createSql returns bigint as string by default and as bigint on request", async () => {
    const [asString] = await db.seederSql<{ n: unknown }[]>`select 9007199254740993::bigint as n`;
    const big = createSql(db.urls.seeder, { max: 1, bigint: "bigint" });
    try {
      const [asBigint] = await big<
        { n: unknown; m: unknown }[]
      >`select 9007199254740993::bigint as n, 1.10::numeric(18,2) as m`;
      expect(asString?.n).toBe("9007199254740993");
      expect(asBigint?.n).toBe(9007199254740993n);
      expect(asBigint?.m).toBe("1.10");
    } finally {
      await big.end();
    }
  });
});
