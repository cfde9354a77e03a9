import { createHmac, generateKeyPairSync, type KeyObject, randomBytes, sign, verify } from "node:crypto";

/** One version of a Transit key as the test server keeps it. */
interface KeyVersion {
  hmacKey: Buffer;
  privateKey?: KeyObject;
  publicKey?: KeyObject;
  creationTime: string;
}

interface TransitKey {
  type: string;
  versions: KeyVersion[];
  minDecryptionVersion: number;
  minEncryptionVersion: number;
}

/** A request the server received, without its token. */
export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

/**
 * A local HTTP server speaking the subset of Vault's API that Semente uses, with Vault's paths,
 * JSON envelopes and error shape (`{"errors":[...]}`): Transit read/create/rotate/config key,
 * hmac, sign, verify, and `GET /v1/sys/mounts`. HMACs are real HMAC-SHA256 and signatures real
 * Ed25519, so clients can be checked end to end.
 */
export interface VaultTestServer {
  readonly url: string;
  readonly token: string;
  readonly requests: RecordedRequest[];
  /** Creates a key (`aes256-gcm96` or `ed25519`) on a mount. */
  createKey(name: string, type?: string, mount?: string): void;
  /** Adds a version to a key. */
  rotate(name: string, mount?: string): void;
  /** Sets min_decryption_version / min_encryption_version. */
  configure(
    name: string,
    config: { minDecryptionVersion?: number; minEncryptionVersion?: number },
    mount?: string,
  ): void;
  /** The raw HMAC key of one version (to recompute expected values). */
  hmacKey(name: string, version: number, mount?: string): Buffer;
  /** Answers the next `count` requests with `status` and a Vault error body. */
  failNext(status: number, count?: number): void;
  /** Delays every answer by `ms` (timeouts). */
  setDelay(ms: number): void;
  /** Adds a mount to `sys/mounts` (e.g. a `transform` engine). */
  addMount(path: string, type: string): void;
  /** Removes a mount (a fresh server without Transit). */
  removeMount(path: string): void;
  /** ACL policies written through `sys/policies/acl/<name>`, by name. */
  readonly policies: Map<string, string>;
  /** Key types by `<mount>/<name>`. */
  keyType(name: string, mount?: string): string | undefined;
  /** `sys/health` reports sealed (503) while true. */
  setSealed(sealed: boolean): void;
  stop(): Promise<void>;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function envelope(data: unknown): Record<string, unknown> {
  return {
    request_id: crypto.randomUUID(),
    lease_id: "",
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
  };
}

const errors = (status: number, ...messages: string[]) => json(status, { errors: messages });

/** Starts the server on an ephemeral port of 127.0.0.1. */
export function startVaultServer(options: { token?: string } = {}): VaultTestServer {
  const token = options.token ?? `hvs.${randomBytes(12).toString("hex")}`;
  const keys = new Map<string, TransitKey>();
  const mounts: Record<string, { type: string; description: string }> = {
    "sys/": { type: "system", description: "system endpoints" },
    "transit/": { type: "transit", description: "" },
  };
  const requests: RecordedRequest[] = [];
  let failures: { status: number; count: number } | undefined;
  let delay = 0;
  let sealed = false;
  const policies = new Map<string, string>();

  const newVersion = (type: string): KeyVersion => {
    const v: KeyVersion = { hmacKey: randomBytes(32), creationTime: new Date(0).toISOString() };
    if (type === "ed25519") {
      const pair = generateKeyPairSync("ed25519");
      v.privateKey = pair.privateKey;
      v.publicKey = pair.publicKey;
    }
    return v;
  };
  const get = (mount: string, name: string): TransitKey => {
    const key = keys.get(`${mount}/${name}`);
    if (key === undefined) throw new Error(`no key ${mount}/${name}`);
    return key;
  };
  const createKey = (name: string, type = "aes256-gcm96", mount = "transit") => {
    keys.set(`${mount}/${name}`, {
      type,
      versions: [newVersion(type)],
      minDecryptionVersion: 1,
      minEncryptionVersion: 0,
    });
  };

  const readKey = (name: string, key: TransitKey) => {
    const versions: Record<string, unknown> = {};
    key.versions.forEach((v, i) => {
      versions[String(i + 1)] =
        key.type === "ed25519"
          ? {
              name: "ed25519",
              public_key: Buffer.from(String(v.publicKey?.export({ format: "jwk" }).x), "base64url").toString("base64"),
              creation_time: v.creationTime,
            }
          : 0;
    });
    return envelope({
      name,
      type: key.type,
      latest_version: key.versions.length,
      min_available_version: 0,
      min_decryption_version: key.minDecryptionVersion,
      min_encryption_version: key.minEncryptionVersion,
      deletion_allowed: false,
      derived: false,
      exportable: false,
      supports_encryption: key.type !== "ed25519",
      supports_decryption: key.type !== "ed25519",
      supports_derivation: true,
      supports_signing: key.type === "ed25519",
      keys: versions,
    });
  };

  const versionFor = (key: TransitKey, requested: unknown): number | string => {
    const latest = key.versions.length;
    if (requested === undefined || requested === 0) return latest;
    const v = Number(requested);
    if (!Number.isInteger(v) || v < 0) return "invalid key version";
    if (v > latest) return "cannot use a key version newer than the latest";
    if (v < key.minEncryptionVersion) return "requested version is below the minimum encryption version";
    return v;
  };

  const handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const path = url.pathname;
    // Vault treats an empty or non-JSON body as no parameters; so does this server.
    const body = req.method === "POST" || req.method === "PUT" ? await req.json().catch(() => ({})) : undefined;
    requests.push({ method: req.method, path, body });
    if (delay > 0) await Bun.sleep(delay);
    if (failures !== undefined && failures.count > 0) {
      failures.count--;
      return errors(failures.status, "local node not active but active cluster node not found");
    }
    if (req.headers.get("x-vault-token") !== token) return errors(403, "permission denied");
    if (req.method === "GET" && path === "/v1/sys/mounts") return json(200, { ...mounts, ...envelope(mounts) });
    if (req.method === "GET" && path === "/v1/sys/health") {
      return json(sealed ? 503 : 200, { initialized: true, sealed, standby: false });
    }
    const sys = /^\/v1\/sys\/(mounts|policies\/acl)\/(.+)$/.exec(path);
    if (sys !== null && (req.method === "POST" || req.method === "PUT")) {
      const target = sys[2] as string;
      if (sys[1] === "mounts") {
        if (`${target}/` in mounts) return errors(400, `path is already in use at ${target}/`);
        mounts[`${target}/`] = { type: String((body as { type?: string }).type), description: "" };
        return new Response(null, { status: 204 });
      }
      policies.set(target, String((body as { policy?: string }).policy));
      return new Response(null, { status: 204 });
    }
    const m = /^\/v1\/(.+?)\/(keys|hmac|sign|verify)\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (!m) return errors(404, "1 error occurred:\n\t* unsupported path\n\n");
    const [, mount, op, rawName, extra] = m as unknown as [string, string, string, string, string?];
    const name = decodeURIComponent(rawName);
    const key = keys.get(`${mount}/${name}`);
    const input = (body as { input?: string } | undefined)?.input;

    if (op === "keys") {
      if (req.method === "POST" && extra === undefined) {
        createKey(name, (body as { type?: string }).type ?? "aes256-gcm96", mount);
        return json(200, readKey(name, get(mount, name)));
      }
      if (key === undefined) return errors(404);
      if (req.method === "GET" && extra === undefined) return json(200, readKey(name, key));
      if (req.method === "POST" && extra === "rotate") {
        key.versions.push(newVersion(key.type));
        return json(200, readKey(name, key));
      }
      if (req.method === "POST" && extra === "config") {
        const c = body as { min_decryption_version?: number; min_encryption_version?: number };
        if (c.min_decryption_version !== undefined) key.minDecryptionVersion = c.min_decryption_version;
        if (c.min_encryption_version !== undefined) key.minEncryptionVersion = c.min_encryption_version;
        return json(200, readKey(name, key));
      }
      return errors(405);
    }
    if (req.method !== "POST") return errors(405);
    if (key === undefined) return errors(400, "encryption key not found");
    if (typeof input !== "string") return errors(400, "missing input");
    const data = Buffer.from(input, "base64");
    if (op === "hmac") {
      const algorithm = extra ?? (body as { algorithm?: string }).algorithm ?? "sha2-256";
      if (algorithm !== "sha2-256") return errors(400, `unsupported algorithm ${algorithm}`);
      const v = versionFor(key, (body as { key_version?: unknown }).key_version);
      if (typeof v === "string") return errors(400, v);
      const mac = createHmac("sha256", (key.versions[v - 1] as KeyVersion).hmacKey)
        .update(data)
        .digest("base64");
      return json(200, envelope({ hmac: `vault:v${v}:${mac}` }));
    }
    if (key.type !== "ed25519") return errors(400, `key type ${key.type} does not support signing`);
    if (op === "sign") {
      const v = versionFor(key, (body as { key_version?: unknown }).key_version);
      if (typeof v === "string") return errors(400, v);
      const sig = sign(null, data, (key.versions[v - 1] as KeyVersion).privateKey as KeyObject).toString("base64");
      return json(200, envelope({ signature: `vault:v${v}:${sig}`, key_version: v }));
    }
    const signature = (body as { signature?: string }).signature ?? "";
    const sm = /^vault:v(\d+):(.+)$/.exec(signature);
    const ver = sm ? key.versions[Number(sm[1]) - 1] : undefined;
    if (!sm || ver === undefined) return errors(400, "invalid signature");
    return json(
      200,
      envelope({ valid: verify(null, data, ver.publicKey as KeyObject, Buffer.from(sm[2] as string, "base64")) }),
    );
  };

  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handle });
  return {
    url: `http://127.0.0.1:${server.port}`,
    token,
    requests,
    createKey,
    rotate: (name, mount = "transit") => get(mount, name).versions.push(newVersion(get(mount, name).type)),
    configure: (name, config, mount = "transit") => {
      const key = get(mount, name);
      if (config.minDecryptionVersion !== undefined) key.minDecryptionVersion = config.minDecryptionVersion;
      if (config.minEncryptionVersion !== undefined) key.minEncryptionVersion = config.minEncryptionVersion;
    },
    hmacKey: (name, version, mount = "transit") => (get(mount, name).versions[version - 1] as KeyVersion).hmacKey,
    failNext: (status, count = 1) => {
      failures = { status, count };
    },
    setDelay: (ms) => {
      delay = ms;
    },
    policies,
    keyType: (name, mount = "transit") => keys.get(`${mount}/${name}`)?.type,
    setSealed: (value) => {
      sealed = value;
    },
    removeMount: (path) => {
      delete mounts[path.endsWith("/") ? path : `${path}/`];
    },
    addMount: (path, type) => {
      mounts[path.endsWith("/") ? path : `${path}/`] = { type, description: "" };
    },
    stop: async () => {
      await server.stop(true);
    },
  };
}
