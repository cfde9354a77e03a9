import { mintToken, type Role, resolveAuthKeys } from "@semente/shared/auth";
import { COMMON_VARS, loadConfig } from "@semente/shared/config";
import { PROBLEM_CATALOG, type ProblemCode, SementeError } from "@semente/shared/errors";
import type { RunResource } from "@semente/shared/runs";

/** A thin authenticated client of the gateway's REST API. */
export interface GatewayClient {
  readonly url: string;
  request(
    method: string,
    path: string,
    options?: { body?: string; contentType?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; json: unknown }>;
  getRun(id: string): Promise<RunResource>;
  /** Opens a `text/event-stream` response (the body unread); a problem answer throws like `request`. */
  stream(path: string, headers?: Record<string, string>): Promise<Response>;
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

/** A client of the gateway at `url` sending `token`. */
export function gatewayClient(url: string, token: string): GatewayClient {
  const base = url.replace(/\/+$/, "");
  const send = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
    try {
      return await fetch(`${base}${path}`, { method, headers: { Authorization: `Bearer ${token}`, ...headers }, body });
    } catch (cause) {
      throw new SementeError("UNAVAILABLE", `gateway unreachable at ${base} (is \`semente up\` running?)`, {
        cause,
        retryable: true,
      });
    }
  };
  const parse = async (response: Response) => {
    const text = await response.text();
    let json: unknown = null;
    if (text !== "") {
      try {
        json = JSON.parse(text);
      } catch (error) {
        // A non-JSON body (a proxy's HTML page) is reported by status below, not parsed.
        if (!(error instanceof SyntaxError)) throw error;
      }
    }
    return json;
  };
  const client: GatewayClient = {
    url: base,
    async request(method, path, options = {}) {
      const response = await send(
        method,
        path,
        {
          Accept: "application/json, application/problem+json",
          ...(options.contentType === undefined ? {} : { "Content-Type": options.contentType }),
          ...options.headers,
        },
        options.body,
      );
      const json = await parse(response);
      if (response.status >= 400) throw problemError(response.status, json);
      return { status: response.status, headers: response.headers, json };
    },
    async stream(path, headers = {}) {
      const response = await send("GET", path, { Accept: "text/event-stream", ...headers });
      if (response.status >= 400) throw problemError(response.status, await parse(response));
      return response;
    },
    async getRun(id) {
      return (await client.request("GET", `/api/v1/seed-runs/${id}`)).json as RunResource;
    },
  };
  return client;
}

/** The exit code of a finished run: 0 when completed, else its reason's documented code. */
export function runExitCode(run: Pick<RunResource, "state" | "reason">): number {
  if (run.state === "completed") return 0;
  const code = run.reason?.code;
  if (code !== undefined && code in PROBLEM_CATALOG) return PROBLEM_CATALOG[code].exit;
  return run.state === "cancelled" || run.state === "expired" ? PROBLEM_CATALOG.INVALID_STATE.exit : 1;
}
