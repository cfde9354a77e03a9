import { createHmac, randomBytes, sign as edSign } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { notIsolatedDevBecause } from "../config/index.ts";
import { SementeError } from "@semente/core/errors";
import { ed25519FromSeed } from "./ed25519.ts";
import { fpeContext, type KeyProvider } from "./types.ts";

/** Options of {@link createLocalDevKeyProvider}. */
export interface LocalDevKeyProviderOptions {
  /** The run's environment; only `dev` is allowed. */
  environment: string;
  /** The explicit isolated-dev flag (`SEMENTE_ISOLATED_DEV=true`); must be true. */
  isolatedDev: boolean;
  /**
   * The unversioned file holding `SEMENTE_DEV_KEY` (64 hex chars).
   * @default ".env.local"
   */
  envLocalPath?: string;
  /**
   * Process environment, read for `CI` and `SEMENTE_DEV_KEY_VERSION` (which wins over the file's).
   * @default process.env
   */
  env?: Record<string, string | undefined>;
}

function readDotenv(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith("#")) continue;
    out[m[1] as string] = (m[2] as string).replace(/^(["'])(.*)\1$/, "$2");
  }
  return out;
}

/**
 * The local dev key provider: refuses to exist (`DEV_KEY_FORBIDDEN`) unless the environment is
 * `dev`, the isolated-dev flag is set and `CI` is not truthy. FPE key = HMAC-SHA256(devKey,
 * `<fpe context>/v<version>`); signing key = Ed25519 with seed HMAC-SHA256(devKey, "sign").
 */
export function createLocalDevKeyProvider(options: LocalDevKeyProviderOptions): KeyProvider {
  const env = options.env ?? process.env;
  const why = notIsolatedDevBecause({ environment: options.environment, isolatedDev: options.isolatedDev, env });
  if (why !== undefined) {
    throw new SementeError("DEV_KEY_FORBIDDEN", `the local dev key is allowed only in isolated dev (${why})`);
  }
  const path = options.envLocalPath ?? ".env.local";
  if (!existsSync(path)) {
    throw new SementeError("CONFIG_INVALID", `${path} not found: run the dev key setup to create it`);
  }
  const file = readDotenv(path);
  const hex = file.SEMENTE_DEV_KEY ?? "";
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new SementeError("CONFIG_INVALID", `SEMENTE_DEV_KEY in ${path} must be 64 hex characters`);
  }
  const rawVersion = env.SEMENTE_DEV_KEY_VERSION || file.SEMENTE_DEV_KEY_VERSION || "1";
  if (!/^[1-9]\d{0,8}$/.test(rawVersion)) {
    throw new SementeError("CONFIG_INVALID", "SEMENTE_DEV_KEY_VERSION must be a positive integer");
  }
  const version = Number(rawVersion);
  const devKey = Buffer.from(hex, "hex");
  const signer = ed25519FromSeed(createHmac("sha256", devKey).update("sign").digest());
  const keyId = `local-dev:${createHmac("sha256", devKey).update("key-id").digest("hex").slice(0, 16)}`;

  return {
    kind: "local-dev",
    async keyVersion() {
      return version;
    },
    async deriveFpeKey(scope, keyVersion) {
      if (!Number.isInteger(keyVersion) || keyVersion < 1 || keyVersion > version) {
        throw new SementeError("KEY_VERSION_MISMATCH", `dev key version ${keyVersion} is outside [1, ${version}]`, {
          extensions: { requested: keyVersion, latest: version },
        });
      }
      return new Uint8Array(
        createHmac("sha256", devKey)
          .update(`${fpeContext(scope)}/v${keyVersion}`)
          .digest(),
      );
    },
    async sign(_scope, payload) {
      return { signature: new Uint8Array(edSign(null, payload, signer.privateKey)), keyId };
    },
    async publicKey() {
      return { keyId, publicKeyPem: signer.publicKeyPem };
    },
  };
}

/**
 * Creates `path` (mode 0600) with a fresh `SEMENTE_DEV_KEY` and `SEMENTE_DEV_KEY_VERSION=1` when it
 * does not exist, or appends a key to it when it lacks one. Returns whether a key was written.
 */
export function ensureDevKey(path = ".env.local"): { created: boolean } {
  if (existsSync(path) && /^[0-9a-fA-F]{64}$/.test(readDotenv(path).SEMENTE_DEV_KEY ?? "")) return { created: false };
  // clock-ok: key setup, not generation
  const key = randomBytes(32).toString("hex");
  const existing = existsSync(path) ? readFileSync(path, "utf8") : "";
  const sep = existing === "" || existing.endsWith("\n") ? "" : "\n";
  const lines = `SEMENTE_DEV_KEY=${key}\n${/SEMENTE_DEV_KEY_VERSION=/.test(existing) ? "" : "SEMENTE_DEV_KEY_VERSION=1\n"}`;
  writeFileSync(path, existing + sep + lines, { mode: 0o600 });
  return { created: true };
}
