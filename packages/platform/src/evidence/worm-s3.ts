import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { SementeError } from "@semente/core/errors";
import { sha256Hex } from "./dsse.ts";
import type { WormObjectInfo, WormStore } from "./worm-types.ts";
import { assertRemovable, assertRetentionFloor, assertWormKey } from "./worm.ts";

/** Options of {@link createS3WormStore}. */
export interface S3WormStoreOptions {
  /** Bucket created with Object Lock enabled (checked by `preflight`). */
  bucket: string;
  /**
   * Key prefix inside the bucket (no leading slash), e.g. `evidence/`.
   * @default ""
   */
  prefix?: string;
  /** A ready client; when given, the connection options below are ignored. */
  client?: S3Client;
  /** Endpoint of an S3-compatible server; omit for AWS. */
  endpoint?: string;
  /** @default "us-east-1" */
  region?: string;
  /** Path-style addressing (most self-hosted servers need it). @default true when `endpoint` is set */
  forcePathStyle?: boolean;
  /** Static credentials; omitted → the SDK's default chain (env, profile, IMDS). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** SDK attempts per request. @default 3 */
  maxAttempts?: number;
  /** Per-request timeout in ms. @default 10000 */
  requestTimeoutMs?: number;
  /** Clock of the retention floor check. @default the system clock */
  now?: () => Date;
}

interface AwsError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

const statusOf = (error: unknown): number | undefined => (error as AwsError | undefined)?.$metadata?.httpStatusCode;

/** Maps an SDK failure to `WORM_UNAVAILABLE`, naming the operation and S3's error name, never credentials. */
function unavailable(operation: string, error: unknown): SementeError {
  const e = error as AwsError | undefined;
  const status = statusOf(error);
  const what = status === undefined ? (e?.code ?? e?.name ?? "unreachable") : `HTTP ${status} ${e?.name ?? ""}`.trim();
  return new SementeError("WORM_UNAVAILABLE", `S3 ${operation} failed: ${what}`, {
    cause: error,
    retryable: status === undefined || status >= 500 || status === 429,
    extensions: { storage: "s3", operation },
  });
}

const hexToBase64 = (hex: string): string => Buffer.from(hex, "hex").toString("base64");

/**
 * S3 with Object Lock (`@aws-sdk/client-s3`): `PutObject` with `ObjectLockMode=COMPLIANCE`,
 * `ObjectLockRetainUntilDate` (≥ 365 days), `ChecksumSHA256` and `If-None-Match: *` (a second write
 * of a key is `WORM_CONFLICT`), then `GetObject` and a SHA-256 comparison (post-upload
 * verification). `preflight` requires the bucket to answer and report `ObjectLockEnabled: Enabled`.
 */
export function createS3WormStore(options: S3WormStoreOptions): WormStore {
  const bucket = options.bucket;
  const prefix = options.prefix ?? "";
  const now = options.now ?? (() => new Date()); // clock-ok: evidence records real time, not generated data
  const client =
    options.client ??
    new S3Client({
      region: options.region ?? "us-east-1",
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: { requestTimeout: options.requestTimeoutMs ?? 10_000, connectionTimeout: 5_000 },
    });
  const objectKey = (key: string): string => {
    assertWormKey(key);
    return `${prefix}${key}`;
  };
  const location = (key: string): string => `s3://${bucket}/${objectKey(key)}`;

  const get = async (key: string): Promise<Uint8Array> => {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      if (out.Body === undefined) throw new SementeError("WORM_UNAVAILABLE", `S3 returned no body for ${key}`);
      return await out.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof SementeError) throw error;
      if (statusOf(error) === 404) throw new SementeError("NOT_FOUND", `WORM object ${key} not found`);
      throw unavailable("GetObject", error);
    }
  };

  const head = async (key: string): Promise<WormObjectInfo | null> => {
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      const sha256 = out.Metadata?.sha256 ?? sha256Hex(await get(key));
      return {
        key,
        location: location(key),
        sha256,
        size: out.ContentLength ?? 0,
        // Without a retain-until date the object's retention is unknown: treat it as retained forever.
        retainUntil: out.ObjectLockRetainUntilDate ?? new Date(8.64e15),
      };
    } catch (error) {
      if (error instanceof SementeError) throw error;
      if (statusOf(error) === 404) return null;
      throw unavailable("HeadObject", error);
    }
  };

  return {
    kind: "s3",
    location,
    async preflight() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        throw unavailable("HeadBucket", error);
      }
      let enabled: string | undefined;
      try {
        const out = await client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
        enabled = out.ObjectLockConfiguration?.ObjectLockEnabled;
      } catch (error) {
        throw unavailable("GetObjectLockConfiguration", error);
      }
      if (enabled !== "Enabled") {
        throw new SementeError("WORM_UNAVAILABLE", `S3 bucket ${bucket} does not have Object Lock enabled`, {
          extensions: { storage: "s3", operation: "GetObjectLockConfiguration" },
        });
      }
    },
    async put(key, bytes, opts) {
      assertRetentionFloor(opts.retainUntil, now());
      const sha256 = sha256Hex(bytes);
      if (sha256 !== opts.sha256) {
        throw new SementeError("VALIDATION_FAILED", "WORM put: bytes do not match the given sha256");
      }
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: objectKey(key),
            Body: bytes,
            ContentType: "application/json",
            ChecksumSHA256: hexToBase64(sha256),
            ObjectLockMode: "COMPLIANCE",
            ObjectLockRetainUntilDate: opts.retainUntil,
            IfNoneMatch: "*",
            Metadata: { sha256 },
          }),
        );
      } catch (error) {
        const status = statusOf(error);
        if (status === 412 || status === 409) {
          throw new SementeError("WORM_CONFLICT", `WORM object ${key} already exists; it is never overwritten`, {
            extensions: { key },
          });
        }
        throw unavailable("PutObject", error);
      }
      const stored = await get(key);
      const actual = sha256Hex(stored);
      if (actual !== sha256) {
        throw new SementeError("WORM_UNAVAILABLE", `post-upload verification of ${key} failed: stored hash differs`, {
          extensions: { storage: "s3", key },
        });
      }
      return { key, location: location(key), sha256, size: bytes.length, retainUntil: opts.retainUntil };
    },
    get,
    head,
    async remove(key) {
      assertRemovable(key, await head(key), now());
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      } catch (error) {
        throw unavailable("DeleteObject", error);
      }
    },
  };
}
