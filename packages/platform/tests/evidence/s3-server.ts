import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

/** One request as it crossed the wire. */
export interface WireRequest {
  method: string;
  /** Path and query, e.g. `/bucket/key?x-id=PutObject`. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
}

/**
 * s3rver (a real S3 server from npm) behind a recording proxy. s3rver ignores Object Lock and
 * `If-None-Match`, so the proxy adds what a bucket with Object Lock does: answers
 * `GetObjectLockConfiguration`, refuses an existing key with 412 on `If-None-Match: *`, and
 * returns the lock headers on HEAD/GET. Every request is recorded with its headers.
 */
export interface S3TestServer {
  /** Proxy URL clients use. */
  url: string;
  bucket: string;
  requests: WireRequest[];
  /** Whether the bucket reports `ObjectLockEnabled: Enabled`. @default true */
  objectLock: boolean;
  /** Flip one byte of every object GET body (post-upload verification tests). */
  corruptGets: boolean;
  /** Bodies of accepted `PutObjectLockConfiguration` requests, by bucket path (`/bucket`). */
  lockConfigurations: Map<string, string>;
  stop(): Promise<void>;
}

const XML = { "content-type": "application/xml" };
const xmlError = (status: number, code: string, message: string) =>
  new Response(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    {
      status,
      headers: XML,
    },
  );

/** Starts s3rver with one bucket and the recording proxy, both on ephemeral ports. */
export async function startS3Server(bucket = "semente-evidence"): Promise<S3TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "semente-s3rver-"));
  const s3rver = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: dir,
    // The proxy changes the Host header, which is part of the SigV4 signature.
    allowMismatchedSignatures: true,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = await s3rver.run();
  const upstream = `http://127.0.0.1:${port}`;
  const locks = new Map<string, { mode: string; until: string }>();
  const state: S3TestServer = {
    url: "",
    bucket,
    requests: [],
    objectLock: true,
    corruptGets: false,
    lockConfigurations: new Map(),
    async stop() {
      proxy.stop(true);
      await s3rver.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const proxy = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const headers: Record<string, string> = {};
      req.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      state.requests.push({ method: req.method, path: url.pathname + url.search, headers });
      const objectPath = url.pathname;
      if (req.method === "GET" && url.searchParams.has("object-lock")) {
        if (!state.objectLock) {
          return xmlError(404, "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist");
        }
        return new Response(
          '<?xml version="1.0" encoding="UTF-8"?><ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>',
          { headers: XML },
        );
      }
      if (req.method === "PUT" && url.searchParams.has("object-lock")) {
        // As AWS: a lock configuration is accepted only on a bucket created with Object Lock.
        if (!state.objectLock) {
          return xmlError(409, "InvalidBucketState", "Object Lock configuration cannot be enabled on existing buckets");
        }
        state.lockConfigurations.set(objectPath.replace(/\/$/, ""), await req.text());
        return new Response(null, { status: 200 });
      }
      if (req.method === "PUT" && headers["if-none-match"] === "*") {
        const exists = await fetch(upstream + objectPath, { method: "HEAD" });
        if (exists.status === 200)
          return xmlError(412, "PreconditionFailed", "At least one of the preconditions failed");
      }
      const forward = new Headers(req.headers);
      forward.delete("host");
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      const res = await fetch(upstream + url.pathname + url.search, { method: req.method, headers: forward, body });
      const out = new Headers(res.headers);
      if (req.method === "PUT" && res.status === 200 && headers["x-amz-object-lock-mode"] !== undefined) {
        locks.set(objectPath, {
          mode: headers["x-amz-object-lock-mode"],
          until: headers["x-amz-object-lock-retain-until-date"] ?? "",
        });
      }
      const lock = locks.get(objectPath);
      if ((req.method === "GET" || req.method === "HEAD") && lock !== undefined && res.status === 200) {
        out.set("x-amz-object-lock-mode", lock.mode);
        out.set("x-amz-object-lock-retain-until-date", lock.until);
      }
      if (req.method === "HEAD") return new Response(null, { status: res.status, headers: out });
      let payload = new Uint8Array(await res.arrayBuffer());
      if (req.method === "GET" && state.corruptGets && res.status === 200 && payload.length > 0) {
        payload = new Uint8Array(payload);
        payload[0] = (payload[0] as number) ^ 0x20;
      }
      out.delete("content-length");
      out.delete("content-encoding");
      out.delete("transfer-encoding");
      return new Response(payload, { status: res.status, headers: out });
    },
  });
  state.url = `http://127.0.0.1:${proxy.port}`;
  return state;
}
