import { SementeError, toProblem } from "@semente/core/errors";
import { type MetricsRegistry, metricsResponse } from "./metrics.ts";

/** Outcome of one readiness check. */
export type CheckStatus = "ok" | "down";

/** A dependency check: resolves when the dependency answers. */
export type Probe = () => Promise<unknown>;

/** Options of {@link createHealthHandler}. */
export interface HealthOptions {
  /** Dependency checks run in parallel on every `/readyz`, e.g. `{ postgres: () => sql\`select 1\` }`. */
  probes: Record<string, Probe>;
  /** In-process conditions, e.g. `{ consumer: () => loop.running }`. */
  conditions?: Record<string, () => boolean>;
  /** Per-probe timeout. @default 2000 */
  checkTimeoutMs?: number;
  /** Served as Prometheus text on `GET /metrics` when given. */
  metrics?: MetricsRegistry;
}

/** Runs one probe with a timeout; a failure or a timeout is `down`. */
export async function probe(check: Probe, timeoutMs: number): Promise<CheckStatus> {
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

/** Runs every probe and condition; `ok` only when all are. */
export async function readiness(options: HealthOptions): Promise<{ ok: boolean; checks: Record<string, CheckStatus> }> {
  const timeout = options.checkTimeoutMs ?? 2_000;
  const entries = Object.entries(options.probes);
  const results = await Promise.all(entries.map(([, check]) => probe(check, timeout)));
  const checks: Record<string, CheckStatus> = {};
  entries.forEach(([name], i) => {
    checks[name] = results[i] ?? "down";
  });
  for (const [name, condition] of Object.entries(options.conditions ?? {})) checks[name] = condition() ? "ok" : "down";
  return { ok: Object.values(checks).every((c) => c === "ok"), checks };
}

/** A NATS probe: a closed connection is down without waiting for the timeout. */
export const natsProbe =
  (nc: { isClosed(): boolean; rtt(): Promise<number> }): Probe =>
  () =>
    nc.isClosed() ? Promise.reject(new Error("closed")) : nc.rtt();

const json = (status: number, body: unknown, type = "application/json") =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": type } });

/**
 * The worker services' ops endpoints: `GET /healthz` (the process is up), `GET /readyz` (every
 * probe and condition ok → 200 `{status, checks}`; else a 503 problem+json naming the checks) and,
 * with a registry, `GET /metrics`.
 * Anything else is a 404 or 405 problem.
 */
export function createHealthHandler(options: HealthOptions): (request: Request) => Promise<Response> {
  return async (request) => {
    const path = new URL(request.url).pathname;
    if (request.method !== "GET") {
      return json(405, toProblem(new SementeError("MALFORMED_INPUT", "GET only")), "application/problem+json");
    }
    if (path === "/healthz") return json(200, { status: "ok" });
    if (path === "/metrics" && options.metrics !== undefined) return metricsResponse(options.metrics);
    if (path !== "/readyz") {
      return json(404, toProblem(new SementeError("NOT_FOUND", "no such endpoint")), "application/problem+json");
    }
    const { ok, checks } = await readiness(options);
    if (ok) return json(200, { status: "ready", checks });
    const problem = toProblem(new SementeError("UNAVAILABLE", "a dependency is down", { extensions: { checks } }));
    return json(503, problem, "application/problem+json");
  };
}

/** Serves {@link createHealthHandler} on `port` (loopback unless told otherwise). */
export function startHealthServer(
  options: HealthOptions & { port: number; hostname?: string },
): ReturnType<typeof Bun.serve> {
  return Bun.serve({
    port: options.port,
    hostname: options.hostname ?? "127.0.0.1",
    fetch: createHealthHandler(options),
  });
}
