import type { NatsConnection } from "@nats-io/transport-node";
import type { Sql } from "@semente/shared/db";

/** Options of {@link startHealthServer}. */
export interface HealthOptions {
  port: number;
  sql: Sql;
  nc: NatsConnection;
  /** Extra readiness condition (e.g. streams ensured and loops started). */
  ready: () => boolean;
  /** Per-check timeout. @default 2000 */
  checkTimeoutMs?: number;
}

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<"ok" | "down"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"down">((resolve) => {
    timer = setTimeout(() => resolve("down"), timeoutMs);
  });
  try {
    return await Promise.race([check().then(() => "ok" as const), timeout]);
  } catch {
    // A failing dependency is exactly what readiness reports; its cause is not part of the answer.
    return "down";
  } finally {
    clearTimeout(timer);
  }
}

/** `/healthz` (process up) and `/readyz` (PostgreSQL and NATS answer, service started). */
export function startHealthServer(options: HealthOptions): ReturnType<typeof Bun.serve> {
  const timeout = options.checkTimeoutMs ?? 2_000;
  return Bun.serve({
    port: options.port,
    hostname: "127.0.0.1",
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/healthz") return Response.json({ status: "ok" });
      if (path === "/readyz") {
        const [postgres, nats] = await Promise.all([
          probe(() => options.sql`select 1`, timeout),
          probe(() => (options.nc.isClosed() ? Promise.reject(new Error("closed")) : options.nc.rtt()), timeout),
        ]);
        const checks = { postgres, nats, started: options.ready() ? "ok" : "down" };
        const ok = Object.values(checks).every((c) => c === "ok");
        return Response.json({ status: ok ? "ready" : "not_ready", checks }, { status: ok ? 200 : 503 });
      }
      return new Response("not found", { status: 404 });
    },
  });
}
