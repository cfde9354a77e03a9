import { SementeError } from "@semente/core/errors";
import { evidenceKeyName, fpeKeyName } from "./vault-transit.ts";

/** Options of {@link bootstrapVault}. */
export interface BootstrapVaultOptions {
  /** Vault/OpenBao base URL. */
  addr: string;
  /** A token allowed to enable mounts, create Transit keys and write policies. */
  token: string;
  /** Transit mount. @default "transit" */
  mount?: string;
  /** Deployment environment the keys and policies are for (`staging`). */
  environment: string;
  /** Tenants that get an FPE/HMAC key. */
  tenants: readonly string[];
  /** Keep asking `sys/health` this long for an initialised, unsealed server. @default 0 (ask once) */
  waitMs?: number;
  /** Pause between two health polls. @default 2000 */
  pollMs?: number;
}

/** What {@link bootstrapVault} created; anything already there is left as it is. */
export interface BootstrapVaultResult {
  mountEnabled: boolean;
  createdKeys: string[];
  existingKeys: string[];
  policies: string[];
}

/**
 * Least-privilege ACL policies of the processes that use Transit, per environment. Key names come
 * from the same functions the key provider uses ({@link fpeKeyName}, {@link evidenceKeyName}), so
 * the policies cannot drift from what the services ask for.
 */
export function transitPolicies(environment: string, mount = "transit"): Record<string, string> {
  const fpe = fpeKeyName({ environment, tenant: "*" });
  const sign = evidenceKeyName({ environment });
  const mounts = `path "sys/mounts" { capabilities = ["read"] }`;
  const fpeUse = [
    `path "${mount}/keys/${fpe}" { capabilities = ["read"] }`,
    `path "${mount}/hmac/${fpe}" { capabilities = ["update"] }`,
    `path "${mount}/hmac/${fpe}/*" { capabilities = ["update"] }`,
  ];
  const signUse = [
    `path "${mount}/keys/${sign}" { capabilities = ["read"] }`,
    `path "${mount}/sign/${sign}" { capabilities = ["update"] }`,
    `path "${mount}/sign/${sign}/*" { capabilities = ["update"] }`,
    `path "${mount}/verify/${sign}" { capabilities = ["update"] }`,
    `path "${mount}/verify/${sign}/*" { capabilities = ["update"] }`,
  ];
  return {
    [`semente-seeder-${environment}`]: [...fpeUse, mounts].join("\n"),
    // The planner's preflight reads key versions and derives keys like a seeder.
    [`semente-planner-${environment}`]: [...fpeUse, mounts].join("\n"),
    [`semente-evidence-${environment}`]: [...fpeUse, ...signUse, mounts].join("\n"),
    // `semente verify` and `semente evidence verify` recompute masks and check signatures.
    [`semente-verifier-${environment}`]: [...fpeUse, ...signUse.filter((p) => !p.includes("/sign/")), mounts].join(
      "\n",
    ),
  };
}

const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ENVIRONMENT = /^[a-z][a-z0-9-]{0,30}$/;

/**
 * Creates, idempotently, the Transit mount, one FPE/HMAC key (`aes256-gcm96`) per tenant, the
 * evidence signing key (`ed25519`) and the policies of {@link transitPolicies}. Waits for the
 * server to be initialised and unsealed (`waitMs`): a sealed server is `KEY_PROVIDER_UNAVAILABLE`.
 * The token is never part of an error message.
 */
export async function bootstrapVault(options: BootstrapVaultOptions): Promise<BootstrapVaultResult> {
  assertOptions(options);
  const mount = (options.mount ?? "transit").replace(/^\/+|\/+$/g, "");
  const call = vaultCaller(options.addr, options.token);
  const must = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body);
    if (r.status >= 300) {
      throw new SementeError("KEY_PROVIDER_UNAVAILABLE", `Vault ${method} ${path} failed with HTTP ${r.status}`);
    }
    return r.json;
  };

  await waitUnsealed(call, options.waitMs ?? 0, options.pollMs ?? 2_000);
  const mounts = (await must("GET", "sys/mounts")) as Record<string, unknown> & { data?: Record<string, unknown> };
  const mountEnabled = !(`${mount}/` in { ...mounts, ...(mounts.data ?? {}) });
  if (mountEnabled) await must("POST", `sys/mounts/${mount}`, { type: "transit" });

  const wanted: [string, string][] = [
    ...options.tenants.map((tenant): [string, string] => [
      fpeKeyName({ environment: options.environment, tenant }),
      "aes256-gcm96",
    ]),
    [evidenceKeyName({ environment: options.environment }), "ed25519"],
  ];
  const createdKeys: string[] = [];
  const existingKeys: string[] = [];
  for (const [name, type] of wanted) {
    if (await ensureKey(call, mount, name, type)) createdKeys.push(name);
    else existingKeys.push(name);
  }
  const policies = transitPolicies(options.environment, mount);
  for (const [name, policy] of Object.entries(policies)) await must("PUT", `sys/policies/acl/${name}`, { policy });
  return { mountEnabled, createdKeys, existingKeys, policies: Object.keys(policies) };
}

type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number; json: unknown }>;

function assertOptions(options: BootstrapVaultOptions): void {
  if (!ENVIRONMENT.test(options.environment)) throw invalid("environment", "is not a valid environment name");
  const bad = options.tenants.filter((t) => !TENANT.test(t));
  if (options.tenants.length === 0 || bad.length > 0) throw invalid("SEMENTE_TENANTS", "lists no valid tenant");
  if (options.token === "") throw invalid("VAULT_TOKEN", "required");
}

/** Vault's HTTP API with the token in a header; a network failure never quotes the token. */
function vaultCaller(addr: string, token: string): Call {
  const base = addr.replace(/\/+$/, "");
  return async (method, path, body) => {
    let response: Response;
    try {
      response = await fetch(`${base}/v1/${path}`, {
        method,
        headers: { "x-vault-token": token, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      throw new SementeError("KEY_PROVIDER_UNAVAILABLE", `Vault ${method} ${path}: unreachable`, { retryable: true });
    }
    const text = await response.text();
    return { status: response.status, json: text === "" ? null : (JSON.parse(text) as unknown) };
  };
}

/** Creates `name` of `type` unless it exists (then checks its type); whether it created it. */
async function ensureKey(call: Call, mount: string, name: string, type: string): Promise<boolean> {
  const existing = await call("GET", `${mount}/keys/${name}`);
  if (existing.status === 200) {
    const actual = (existing.json as { data?: { type?: string } } | null)?.data?.type;
    if (actual !== undefined && actual !== type) {
      throw new SementeError("CONFIG_INVALID", `Transit key ${name} is ${actual}, expected ${type}`);
    }
    return false;
  }
  if (existing.status !== 404) {
    throw new SementeError("KEY_PROVIDER_UNAVAILABLE", `Vault read of key ${name} failed with HTTP ${existing.status}`);
  }
  const created = await call("POST", `${mount}/keys/${name}`, { type });
  if (created.status >= 300) {
    throw new SementeError(
      "KEY_PROVIDER_UNAVAILABLE",
      `Vault creation of key ${name} failed with HTTP ${created.status}`,
    );
  }
  return true;
}

/** null when initialised and unsealed, else what is wrong. */
async function healthProblem(call: Call): Promise<string | null> {
  try {
    const health = await call("GET", "sys/health");
    const h = (health.json ?? {}) as { initialized?: boolean; sealed?: boolean };
    if (health.status === 200 && h.sealed !== true) return null;
    if (h.initialized === false) return "not initialised";
    return h.sealed === true ? "sealed" : `HTTP ${health.status}`;
  } catch (error) {
    if (!(error instanceof SementeError)) throw error;
    return "unreachable";
  }
}

async function waitUnsealed(call: Call, waitMs: number, pollMs: number): Promise<void> {
  const deadline = performance.now() + waitMs;
  let last = await healthProblem(call);
  while (last !== null && performance.now() < deadline) {
    await Bun.sleep(pollMs);
    last = await healthProblem(call);
  }
  if (last === null) return;
  throw new SementeError("KEY_PROVIDER_UNAVAILABLE", `Vault is ${last}: initialise and unseal it first`, {
    retryable: true,
  });
}

function invalid(variable: string, problem: string): SementeError {
  return new SementeError("CONFIG_INVALID", `invalid configuration: ${variable}: ${problem}`, {
    errors: [{ pointer: `/env/${variable}`, message: `${variable}: ${problem}` }],
  });
}
