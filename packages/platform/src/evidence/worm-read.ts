import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { SementeError } from "@semente/core/errors";
import { createS3WormStore } from "./worm-s3.ts";

/** Where an `s3://` location is read from. */
export interface WormReadOptions {
  /** S3-compatible endpoint; empty or absent for AWS. */
  s3Endpoint?: string;
  s3Region: string;
}

/**
 * Reads the object an evidence index row points at (`file://…` or `s3://bucket/key`). A missing
 * object throws NOT_FOUND; an unreachable store WORM_UNAVAILABLE; another scheme EVIDENCE_INVALID.
 */
export async function readWormLocation(location: string, options: WormReadOptions): Promise<Uint8Array> {
  if (location.startsWith("file://")) {
    try {
      return new Uint8Array(await readFile(fileURLToPath(location)));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw new SementeError("NOT_FOUND", `WORM object ${location} not found`);
      throw new SementeError("WORM_UNAVAILABLE", `WORM object ${location} unreadable (${code ?? "error"})`, {
        retryable: true,
      });
    }
  }
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (m === null) throw new SementeError("EVIDENCE_INVALID", `unsupported evidence location ${location}`);
  const store = createS3WormStore({
    bucket: m[1] as string,
    region: options.s3Region,
    ...(options.s3Endpoint === undefined || options.s3Endpoint === "" ? {} : { endpoint: options.s3Endpoint }),
  });
  return store.get(m[2] as string);
}
