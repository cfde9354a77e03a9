import type { NatsConnection } from "@nats-io/transport-node";
import type { Sql } from "@semente/shared/db";
import { toProblem, SementeError } from "@semente/shared/errors";
import type { WormStore } from "@semente/shared/evidence";

/** Dependencies of the health endpoints. */
export interface HealthDeps {
  sql: Sql;
  nc: NatsConnection;
  store: WormStore;
  /** Whether the run events consumer is pulling. */
  consuming: () => boolean;
  /** Per-check timeout in ms. @default 2000 */
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
    // A failing dependency is exactly what readiness reports; its cause is logged elsewhere.
    return "down";
  } finally {
    clearTimeout(timer);
  }
}

const json = (status: number, body: unknown, type = "application/json") =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": type } });

/**
 * `GET /healthz` (the process is up) and `GET /readyz` (PostgreSQL, NATS, the WORM preflight and
 * the consumer loop; 503 problem+json naming the checks otherwise). Everything else is 404.
 */
export function createHealthHandler(deps: HealthDeps): (req: Request) => Promise<Response> {
  const timeout = deps.checkTimeoutMs ?? 2_000;
  return async (req) => {
    const path = new URL(req.url).pathname;
    if (req.method !== "GET") return json(405, toProblem(new SementeError("MALFORMED_INPUT", "GET only")));
    if (path === "/healthz") return json(200, { status: "ok" });
    if (path !== "/readyz")
      return json(404, toProblem(new SementeError("NOT_FOUND", "no such endpoint")), "application/problem+json");
    const [postgres, nats, worm] = await Promise.all([
      probe(() => deps.sql`select 1`, timeout),
      probe(() => deps.nc.rtt(), timeout),
      probe(() => deps.store.preflight(), timeout),
    ]);
    const checks = { postgres, nats, worm, consumer: deps.consuming() ? ("ok" as const) : ("down" as const) };
    if (Object.values(checks).every((c) => c === "ok")) return json(200, { status: "ready", checks });
    const problem = toProblem(new SementeError("UNAVAILABLE", "a dependency is down", { extensions: { checks } }));
    return json(503, problem, "application/problem+json");
  };
}
