import { mintToken, type Role, resolveAuthKeys } from "@semente/platform/auth";
import { COMMON_VARS, loadConfig } from "@semente/platform/config";
import { PROBLEM_CATALOG, type ProblemCode, SementeError } from "@semente/core/errors";
import type { RunResource } from "@semente/platform/runs";
import createClient, { type Client } from "openapi-fetch";
import type { paths } from "@semente/core/contracts/seed-data-api";

/** The gateway's API as the contract types it (openapi-fetch over the generated `paths`). */
export type Api = Client<paths>;

/** An authenticated client of the gateway, generated from contracts/seed-data.openapi.yaml. */
export interface GatewayClient {
  readonly url: string;
  /** Typed calls: `api.GET("/api/v1/seed-runs/{id}", { params: { path: { id } } })`. */
  readonly api: Api;
  getRun(id: string): Promise<RunResource>;
  /** Opens the run's event stream (the body unread), resuming after `lastEventId` when given. */
  events(id: string, lastEventId?: string): Promise<ReadableStream<Uint8Array>>;
}

/** Scope a dev token is minted for when SEMENTE_TOKEN is not set. */
export interface TokenScope {
  roles: Role[];
  tenants: string[];
  environments: string[];
}

/**
 * The bearer token: `SEMENTE_TOKEN` when set, else a short dev token minted locally (dev only,
 * as `semente token` would).
 */
export async function resolveToken(scope: TokenScope, env = process.env): Promise<string> {
  if (env.SEMENTE_TOKEN !== undefined && env.SEMENTE_TOKEN !== "") return env.SEMENTE_TOKEN;
  const deployment = env.SEMENTE_ENV || "dev";
  if (deployment !== "dev" || scope.environments.some((e) => e !== "dev")) {
    throw new SementeError("UNAUTHENTICATED", "set SEMENTE_TOKEN: dev tokens are minted only for the dev environment");
  }
  return mintToken(resolveAuthKeys({ env }), {
    subject: `cli-${env.USER ?? "user"}`,
    roles: scope.roles,
    tenants: scope.tenants,
    environments: scope.environments,
    ttlSeconds: 3_600,
    // The CLI is not generation code: a token's issue time is the real clock.
    issuedAt: Math.floor(Date.now() / 1000),
  });
}

/** Turns a problem+json answer into the `SementeError` it describes (so the exit code follows). */
export function problemError(status: number, body: unknown): SementeError {
  const p = (body ?? {}) as {
    code?: string;
    detail?: string;
    title?: string;
    errors?: { pointer: string; message: string }[];
  };
  const code = (
    p.code !== undefined && p.code in PROBLEM_CATALOG ? p.code : status >= 500 ? "UNAVAILABLE" : "INTERNAL"
  ) as ProblemCode;
  return new SementeError(code, p.detail ?? p.title ?? `gateway answered HTTP ${status}`, { errors: p.errors, status });
}

/** A client of `GATEWAY_URL` authenticated with {@link resolveToken}. */
export async function createGatewayClient(scope: TokenScope): Promise<GatewayClient> {
  const { GATEWAY_URL } = loadConfig({ GATEWAY_URL: COMMON_VARS.GATEWAY_URL });
  return gatewayClient(GATEWAY_URL, await resolveToken(scope));
}

/**
 * The data of an openapi-fetch result, or the `SementeError` its problem document names (so the
 * CLI's exit code follows the gateway's refusal).
 */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.status >= 400 || result.data === undefined)
    throw problemError(result.response.status, result.error);
  return result.data;
}

/** A client of the gateway at `url` sending `token`. */
export function gatewayClient(url: string, token: string): GatewayClient {
  const base = url.replace(/\/+$/, "");
  const api = createClient<paths>({
    baseUrl: base,
    headers: { Authorization: `Bearer ${token}` },
    fetch: async (request) => {
      try {
        return await fetch(request);
      } catch (cause) {
        throw new SementeError("UNAVAILABLE", `gateway unreachable at ${base} (is \`semente up\` running?)`, {
          cause,
          retryable: true,
        });
      }
    },
  });
  return {
    url: base,
    api,
    async getRun(id) {
      return unwrap(await api.GET("/api/v1/seed-runs/{id}", { params: { path: { id } } })) as RunResource;
    },
    async events(id, lastEventId) {
      const result = await api.GET("/api/v1/seed-runs/{id}/events", {
        params: { path: { id }, header: lastEventId === undefined ? {} : { "Last-Event-ID": lastEventId } },
        headers: { Accept: "text/event-stream" },
        parseAs: "stream",
      });
      const body = unwrap(result as { data?: ReadableStream<Uint8Array> | null; error?: unknown; response: Response });
      if (body === null) throw new SementeError("UNAVAILABLE", "event stream without a body");
      return body;
    },
  };
}

/** The exit code of a finished run: 0 when completed, else its reason's documented code. */
export function runExitCode(run: Pick<RunResource, "state" | "reason">): number {
  if (run.state === "completed") return 0;
  const code = run.reason?.code;
  if (code !== undefined && code in PROBLEM_CATALOG) return PROBLEM_CATALOG[code].exit;
  return run.state === "cancelled" || run.state === "expired" ? PROBLEM_CATALOG.INVALID_STATE.exit : 1;
}
