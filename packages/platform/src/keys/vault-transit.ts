import nodeVault from "node-vault";
import { SementeError } from "@semente/core/errors";
import { ed25519RawToPem } from "./ed25519.ts";
import { fpeContext, type KeyProvider, type KeyPublic, type KeyScope, type KeySignature } from "./types.ts";

/** Options of {@link createVaultTransitKeyProvider}. */
export interface VaultTransitKeyProviderOptions {
  /** Vault or OpenBao base URL, e.g. `https://vault.internal:8200`. */
  endpoint: string;
  /** Vault token; sent only as `X-Vault-Token`, never logged nor put in an error. */
  token: string;
  /**
   * Mount path of the Transit engine.
   * @default "transit"
   */
  mount?: string;
  /**
   * Transit key (any HMAC-capable type) whose HMAC of the FPE context is the FPE key.
   * @default (s) => `semente-fpe-${s.environment}-${s.tenant}`
   */
  keyName?: (scope: KeyScope) => string;
  /**
   * Transit `ed25519` key that signs evidence.
   * @default (s) => `semente-evidence-${s.environment}`
   */
  signKeyName?: (scope: KeyScope) => string;
  /**
   * Per-request timeout in milliseconds.
   * @default 5000
   */
  timeoutMs?: number;
}

/** The Vault provider, plus a capability probe for the optional Transform engine. */
export interface VaultTransitKeyProvider extends KeyProvider {
  /**
   * Whether a `transform` mount exists (`GET /v1/sys/mounts`). Transform (native FF3-1) is Vault
   * Enterprise only and absent in OpenBao, so FPE never depends on it; this only reports it.
   */
  capabilities(): Promise<{ transform: boolean }>;
}

interface TransitKeyInfo {
  type: string;
  latest_version: number;
  min_decryption_version?: number;
  min_encryption_version?: number;
  keys: Record<string, unknown>;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ERR_SOCKET_CONNECTION_TIMEOUT",
]);

function b64(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString("base64");
}

/** Splits Vault's `vault:v<N>:<base64>` into version and bytes. */
function parseVaultValue(value: unknown, what: string): { version: number; bytes: Uint8Array } {
  const m = typeof value === "string" ? /^vault:v(\d+):([A-Za-z0-9+/=_-]+)$/.exec(value) : null;
  if (!m) throw new SementeError("KEY_PROVIDER_UNAVAILABLE", `Vault returned a malformed ${what}`);
  return { version: Number(m[1]), bytes: new Uint8Array(Buffer.from(m[2] as string, "base64")) };
}

/** Transit key of a tenant's FPE/HMAC keys (`semente bootstrap vault` creates it under this name). */
export const fpeKeyName = (s: Pick<KeyScope, "environment" | "tenant">): string =>
  `semente-fpe-${s.environment}-${s.tenant}`;

/** Transit Ed25519 key that signs the evidence reports of an environment. */
export const evidenceKeyName = (s: Pick<KeyScope, "environment">): string => `semente-evidence-${s.environment}`;

/** Builds the Vault Transit provider on `node-vault`. Nothing is requested until a method is called. */
export function createVaultTransitKeyProvider(options: VaultTransitKeyProviderOptions): VaultTransitKeyProvider {
  const mount = (options.mount ?? "transit").replace(/^\/+|\/+$/g, "");
  const keyName = options.keyName ?? fpeKeyName;
  const signKeyName = options.signKeyName ?? evidenceKeyName;
  const timeout = options.timeoutMs ?? 5000;
  const client = nodeVault({ apiVersion: "v1", endpoint: options.endpoint, token: options.token });
  const requestOptions = { timeout };
  const fpeCache = new Map<string, Promise<Uint8Array>>();
  const scrub = (text: string): string => (options.token === "" ? text : text.replaceAll(options.token, "[token]"));

  /**
   * Runs one Vault call and maps every failure to a SementeError. The original error is not kept
   * as `cause`: node-vault's errors carry the request config, token header included.
   */
  const call = async <T>(operation: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw vaultFailure(operation, e as VaultClientError, scrub);
    }
  };

  const readKey = async (name: string): Promise<TransitKeyInfo> => {
    const body = await call("read key", () => client.read(`${mount}/keys/${encodeURIComponent(name)}`, requestOptions));
    const data = (body as { data?: TransitKeyInfo } | undefined)?.data;
    if (data === undefined || !Number.isInteger(data.latest_version)) {
      throw new SementeError("KEY_PROVIDER_UNAVAILABLE", "Vault returned a key without latest_version");
    }
    return data;
  };

  const derive = async (scope: KeyScope, version: number): Promise<Uint8Array> => {
    const name = keyName(scope);
    const info = await readKey(name);
    const min = Math.max(1, info.min_decryption_version ?? 0, info.min_encryption_version ?? 0);
    if (version > info.latest_version || version < min) {
      throw new SementeError(
        "KEY_VERSION_MISMATCH",
        `key version ${version} for ${scope.environment}/${scope.tenant} is outside [${min}, ${info.latest_version}]`,
        { extensions: { requested: version, latest: info.latest_version, minimum: min } },
      );
    }
    const body = await call("hmac", () =>
      client.write(
        `${mount}/hmac/${encodeURIComponent(name)}/sha2-256`,
        { input: b64(fpeContext(scope)), key_version: version },
        requestOptions,
      ),
    );
    const parsed = parseVaultValue((body as { data?: { hmac?: unknown } }).data?.hmac, "hmac");
    if (parsed.version !== version || parsed.bytes.length !== 32) {
      throw new SementeError("KEY_PROVIDER_UNAVAILABLE", "Vault hmac does not match the requested key version");
    }
    return parsed.bytes;
  };

  return {
    kind: "vault-transit",
    async keyVersion(scope) {
      return (await readKey(keyName(scope))).latest_version;
    },
    async deriveFpeKey(scope, version) {
      if (!Number.isInteger(version) || version < 1) throw new RangeError("key version must be a positive integer");
      const id = `${scope.environment}\n${scope.tenant}\n${version}`;
      let pending = fpeCache.get(id);
      if (pending === undefined) {
        pending = derive(scope, version);
        fpeCache.set(id, pending);
        // A failed derivation must not be remembered: the next call asks Vault again.
        pending.catch(() => fpeCache.delete(id));
      }
      return new Uint8Array(await pending);
    },
    async sign(scope, payload): Promise<KeySignature> {
      const name = signKeyName(scope);
      const body = await call("sign", () =>
        client.write(`${mount}/sign/${encodeURIComponent(name)}`, { input: b64(payload) }, requestOptions),
      );
      const parsed = parseVaultValue((body as { data?: { signature?: unknown } }).data?.signature, "signature");
      return { signature: parsed.bytes, keyId: `vault-transit:${mount}/${name}:v${parsed.version}` };
    },
    async publicKey(scope): Promise<KeyPublic> {
      const name = signKeyName(scope);
      const info = await readKey(name);
      const entry = info.keys[String(info.latest_version)] as { public_key?: unknown } | undefined;
      const pub = entry?.public_key;
      if (typeof pub !== "string" || pub === "") {
        throw new SementeError("KEY_PROVIDER_UNAVAILABLE", `Vault key ${name} has no public key (not a signing key)`);
      }
      const publicKeyPem = pub.startsWith("-----BEGIN") ? pub : ed25519RawToPem(Buffer.from(pub, "base64"));
      return { keyId: `vault-transit:${mount}/${name}:v${info.latest_version}`, publicKeyPem };
    },
    async capabilities() {
      const body = (await call("list mounts", () => client.read("sys/mounts", requestOptions))) as Record<
        string,
        unknown
      >;
      const mounts = (body.data ?? body) as Record<string, { type?: unknown } | unknown>;
      const transform = Object.values(mounts).some(
        (m) => typeof m === "object" && m !== null && (m as { type?: unknown }).type === "transform",
      );
      return { transform };
    },
  };
}

/** What node-vault rejects with (its request config, token header included, is not read). */
interface VaultClientError {
  response?: { statusCode?: number; body?: { errors?: unknown[] } };
  code?: string;
  message?: string;
}

/** A Vault call's failure as KEY_PROVIDER_UNAVAILABLE: the HTTP status and Vault's first error, or the network code. */
function vaultFailure(operation: string, err: VaultClientError, scrub: (text: string) => string): SementeError {
  const status = err.response?.statusCode;
  if (status !== undefined) {
    const first = err.response?.body?.errors?.[0];
    const detail = typeof first === "string" && first !== "" ? `: ${scrub(first)}` : "";
    return new SementeError("KEY_PROVIDER_UNAVAILABLE", `Vault ${operation} failed with HTTP ${status}${detail}`, {
      retryable: status >= 500 || status === 429,
      extensions: { operation, vaultStatus: status },
    });
  }
  const code = typeof err.code === "string" ? err.code : "UNKNOWN";
  return new SementeError(
    "KEY_PROVIDER_UNAVAILABLE",
    `Vault ${operation} failed: ${NETWORK_CODES.has(code) ? code : "unreachable"}`,
    {
      retryable: true,
      extensions: { operation, networkCode: code },
    },
  );
}
