import { constants } from "node:fs";
import { access, chmod, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { SementeError } from "@semente/core/errors";
import { sha256Hex } from "./dsse.ts";
import type { WormObjectInfo, WormPutOptions, WormStore } from "./worm-types.ts";
import { assertRemovable, assertRetentionFloor, assertWormKey } from "./worm.ts";

/** Options of {@link createFsWormStore}. */
export interface FsWormStoreOptions {
  /** Root folder; created on preflight/put when missing. */
  dir: string;
  /**
   * Clock deciding whether retention has ended.
   * @default the system clock
   */
  now?: () => Date;
}

/** The retention sidecar `<key>.retention.json`. */
interface Sidecar {
  key: string;
  sha256: string;
  size: number;
  retain_until: string;
  mode: "COMPLIANCE";
}

const SIDECAR_SUFFIX = ".retention.json";

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function unavailable(what: string, error: unknown): SementeError {
  return new SementeError("WORM_UNAVAILABLE", `filesystem WORM ${what} failed (${errno(error) ?? "error"})`, {
    cause: error,
    retryable: true,
    extensions: { storage: "filesystem" },
  });
}

/** Creates `path` exclusively, writes and fsyncs `bytes`, then makes it read-only (0444). */
async function writeOnce(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, "wx", 0o444);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(path, 0o444);
}

/**
 * The embedded WORM backend for dev: exclusive create (`wx`), mode 0444, a retention sidecar per
 * object; refuses a second write of a key and any removal before the retention date
 * (`WORM_CONFLICT`). An object without its sidecar (a crash between the two writes) is treated as
 * retained forever. Root can still write 0444 files: this backend guards against our own code,
 * S3 Object Lock in COMPLIANCE mode guards against everyone.
 */
export function createFsWormStore(options: FsWormStoreOptions): WormStore {
  const root = resolve(options.dir);
  const now = options.now ?? (() => new Date()); // clock-ok: evidence records real time, not generated data
  const pathOf = (key: string): string => {
    assertWormKey(key);
    return join(root, key);
  };
  const location = (key: string): string => pathToFileURL(pathOf(key)).href;

  const readSidecar = async (key: string): Promise<Sidecar | null> => {
    try {
      return JSON.parse(await readFile(pathOf(key) + SIDECAR_SUFFIX, "utf8")) as Sidecar;
    } catch (error) {
      if (errno(error) === "ENOENT") return null;
      throw unavailable("read retention", error);
    }
  };

  const head = async (key: string): Promise<WormObjectInfo | null> => {
    let size: number;
    try {
      size = (await stat(pathOf(key))).size;
    } catch (error) {
      if (errno(error) === "ENOENT") return null;
      throw unavailable("stat", error);
    }
    const sidecar = await readSidecar(key);
    const bytes = await readFile(pathOf(key)).catch((error: unknown) => {
      throw unavailable("read", error);
    });
    return {
      key,
      location: location(key),
      sha256: sha256Hex(bytes),
      size,
      retainUntil: sidecar === null ? new Date(8.64e15) : new Date(sidecar.retain_until),
    };
  };

  return {
    kind: "filesystem",
    location,
    async preflight() {
      try {
        await mkdir(root, { recursive: true });
        await access(root, constants.W_OK | constants.R_OK);
        const probe = join(root, `.preflight-${process.pid}`);
        await writeFile0(probe);
        await unlink(probe);
      } catch (error) {
        throw unavailable("preflight", error);
      }
    },
    async put(key, bytes, opts: WormPutOptions) {
      const path = pathOf(key);
      assertRetentionFloor(opts.retainUntil, now());
      const sha256 = sha256Hex(bytes);
      if (sha256 !== opts.sha256) {
        throw new SementeError("VALIDATION_FAILED", "WORM put: bytes do not match the given sha256");
      }
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeOnce(path, bytes);
      } catch (error) {
        if (errno(error) === "EEXIST") {
          throw new SementeError("WORM_CONFLICT", `WORM object ${key} already exists; it is never overwritten`, {
            extensions: { key },
          });
        }
        throw unavailable("write", error);
      }
      const sidecar: Sidecar = {
        key,
        sha256,
        size: bytes.length,
        retain_until: opts.retainUntil.toISOString(),
        mode: "COMPLIANCE",
      };
      try {
        await writeOnce(path + SIDECAR_SUFFIX, new TextEncoder().encode(`${JSON.stringify(sidecar)}\n`));
      } catch (error) {
        throw unavailable("write retention", error);
      }
      const stored = await readFile(path).catch((error: unknown) => {
        throw unavailable("read-back", error);
      });
      if (sha256Hex(stored) !== sha256) {
        throw new SementeError("WORM_UNAVAILABLE", `post-write verification of ${key} failed: hash differs`);
      }
      return { key, location: location(key), sha256, size: bytes.length, retainUntil: opts.retainUntil };
    },
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (error) {
        if (errno(error) === "ENOENT") throw new SementeError("NOT_FOUND", `WORM object ${key} not found`);
        throw unavailable("read", error);
      }
    },
    head,
    async remove(key) {
      assertRemovable(key, await head(key), now());
      try {
        await unlink(pathOf(key));
        await unlink(pathOf(key) + SIDECAR_SUFFIX);
      } catch (error) {
        throw unavailable("remove", error);
      }
    },
  };
}

async function writeFile0(path: string): Promise<void> {
  const handle = await open(path, "w", 0o600);
  await handle.close();
}
