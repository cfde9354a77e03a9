import {
  CreateBucketCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { SementeError } from "@semente/core/errors";
import { MIN_RETENTION_DAYS } from "./worm-types.ts";

/** Options of {@link bootstrapWormBucket}. */
export interface BootstrapWormBucketOptions {
  bucket: string;
  /** S3-compatible endpoint; omitted for AWS. */
  endpoint?: string;
  region?: string;
  /** Default COMPLIANCE retention of the bucket in days (never below 365). */
  retentionDays: number;
  /** A client of our own (tests); otherwise one from the SDK's default credential chain. */
  client?: S3Client;
}

/** What {@link bootstrapWormBucket} did. */
export interface BootstrapWormBucketResult {
  created: boolean;
  retentionDays: number;
}

const statusOf = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

function failed(operation: string, error: unknown): SementeError {
  const status = statusOf(error);
  const name = (error as { name?: string } | undefined)?.name ?? "unreachable";
  return new SementeError(
    "WORM_UNAVAILABLE",
    `S3 ${operation} failed: ${status === undefined ? name : `HTTP ${status} ${name}`}`,
    {
      cause: error,
      retryable: status === undefined || status >= 500,
    },
  );
}

/** Creates the bucket with Object Lock unless it exists; whether it created it. */
async function ensureBucket(client: S3Client, Bucket: string): Promise<boolean> {
  try {
    await client.send(new HeadBucketCommand({ Bucket }));
    return false;
  } catch (error) {
    if (statusOf(error) !== 404) throw failed("HeadBucket", error);
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
    return true;
  } catch (error) {
    throw failed("CreateBucket", error);
  }
}

async function setDefaultRetention(client: S3Client, Bucket: string, days: number): Promise<void> {
  try {
    await client.send(
      new PutObjectLockConfigurationCommand({
        Bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: "Enabled",
          Rule: { DefaultRetention: { Mode: "COMPLIANCE", Days: days } },
        },
      }),
    );
  } catch (error) {
    // As AWS: a bucket created without Object Lock refuses a lock configuration.
    if (statusOf(error) === 409) throw noLock(Bucket);
    throw failed("PutObjectLockConfiguration", error);
  }
}

async function lockEnabled(client: S3Client, Bucket: string): Promise<boolean> {
  try {
    const out = await client.send(new GetObjectLockConfigurationCommand({ Bucket }));
    return out.ObjectLockConfiguration?.ObjectLockEnabled === "Enabled";
  } catch (error) {
    if (statusOf(error) !== 404) throw failed("GetObjectLockConfiguration", error);
    return false;
  }
}

const noLock = (bucket: string): SementeError =>
  new SementeError(
    "WORM_UNAVAILABLE",
    `bucket ${bucket} has no Object Lock (it can only be enabled at creation): use a new bucket`,
  );

/**
 * Creates, idempotently, the evidence bucket with Object Lock enabled (only possible at creation),
 * sets its default retention to COMPLIANCE for `retentionDays`, and reads the lock configuration
 * back: a bucket that exists without Object Lock is refused (`WORM_UNAVAILABLE`), since it can
 * never become WORM and evidence must not be written to it.
 */
export async function bootstrapWormBucket(options: BootstrapWormBucketOptions): Promise<BootstrapWormBucketResult> {
  if (!Number.isInteger(options.retentionDays) || options.retentionDays < MIN_RETENTION_DAYS) {
    throw new SementeError("CONFIG_INVALID", `retention must be at least ${MIN_RETENTION_DAYS} days`);
  }
  const client =
    options.client ??
    new S3Client({
      region: options.region ?? "us-east-1",
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint, forcePathStyle: true }),
    });
  const Bucket = options.bucket;
  const created = await ensureBucket(client, Bucket);
  await setDefaultRetention(client, Bucket, options.retentionDays);
  const enabled = await lockEnabled(client, Bucket);
  if (!enabled) throw noLock(Bucket);
  return { created, retentionDays: options.retentionDays };
}
