import { SementeError } from "@semente/core/errors";
import { sha256Hex } from "@semente/platform/request-guards";
import { decodeInput, type EncodedInput, type ManifestInput, type ManifestJob } from "./manifest-input.ts";

/** Parses and validates a manifest request off the event loop; `owner` is who asks (fair share). */
export type ManifestParser = (job: ManifestJob, owner?: string) => Promise<ManifestInput>;

/** Options of `createParsePool`. */
export interface ParsePoolOptions {
  /** Workers parsing in parallel. @default 1 */
  workers?: number;
  /** A parse still running after this long is abandoned and its worker terminated (413). @default 10000 */
  timeoutMs?: number;
  /** Jobs one owner may have waiting for a worker; more are refused (429, retry after a second). @default 64 */
  maxQueuedPerOwner?: number;
}

/**
 * Worker threads that parse manifests, so one costly body never stalls the other requests. Waiting
 * jobs are served round-robin by owner (the token's subject): a client with many bodies in flight
 * delays another client's body by at most one parse per worker.
 */
export interface ParsePool {
  parse: ManifestParser;
  /** Terminates the workers; later calls are refused. */
  close(): void;
}

interface Pending {
  job: ManifestJob;
  resolve(input: ManifestInput): void;
  reject(error: unknown): void;
}

const WORKER_URL = new URL("./parse-worker.ts", import.meta.url).href;

export function createParsePool(options: ParsePoolOptions = {}): ParsePool {
  const size = options.workers ?? 1;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxQueuedPerOwner = options.maxQueuedPerOwner ?? 64;
  const workers = new Set<Worker>();
  const idle: Worker[] = [];
  // Owners in the order they are served next (a Map keeps insertion order); each with its FIFO.
  const queues = new Map<string, Pending[]>();
  const next = (): Pending | undefined => {
    const first = queues.entries().next();
    if (first.done) return undefined;
    const [owner, jobs] = first.value;
    const item = jobs.shift();
    queues.delete(owner);
    if (jobs.length > 0) queues.set(owner, jobs);
    return item;
  };
  let closed = false;

  const retire = (worker: Worker) => {
    workers.delete(worker);
    worker.terminate();
  };
  const dispatch = (worker: Worker, item: Pending) => {
    const timer = setTimeout(() => {
      // A parse is linear in the body, so this is a guard against the unforeseen, not a normal path.
      retire(worker);
      item.reject(
        new SementeError("PAYLOAD_TOO_LARGE", `manifest took longer than ${timeoutMs} ms to parse and validate`),
      );
      pump();
    }, timeoutMs);
    worker.onmessage = (event: MessageEvent<{ input: EncodedInput }>) => {
      clearTimeout(timer);
      idle.push(worker);
      item.resolve(decodeInput(event.data.input));
      pump();
    };
    worker.onerror = () => {
      clearTimeout(timer);
      retire(worker);
      item.reject(new SementeError("INTERNAL", "manifest parser worker failed"));
      pump();
    };
    worker.postMessage({ job: item.job });
  };
  const spawn = () => {
    const worker = new Worker(WORKER_URL);
    // Idle workers must not keep a process (or a test run) alive.
    worker.unref();
    workers.add(worker);
    // The time budget covers parsing, not loading the worker: it takes jobs once it says it is ready.
    worker.onmessage = () => {
      idle.push(worker);
      pump();
    };
    worker.onerror = () => {
      retire(worker);
      pump();
    };
  };
  const pump = () => {
    while (queues.size > 0 && !closed) {
      const worker = idle.pop();
      if (worker === undefined) {
        if (workers.size < size) spawn();
        return;
      }
      dispatch(worker, next() as Pending);
    }
  };

  return {
    parse(job, owner = "") {
      if (closed) return Promise.reject(new SementeError("UNAVAILABLE", "gateway is shutting down"));
      const jobs = queues.get(owner) ?? [];
      if (jobs.length >= maxQueuedPerOwner) {
        return Promise.reject(
          new SementeError("RATE_LIMITED", "too many manifests of this token waiting to be parsed", {
            extensions: { retry_after: 1, policy: "parse" },
          }),
        );
      }
      return new Promise((resolve, reject) => {
        jobs.push({ job, resolve, reject });
        if (!queues.has(owner)) queues.set(owner, jobs);
        pump();
      });
    },
    close() {
      closed = true;
      for (const worker of workers) retire(worker);
      for (const jobs of queues.values()) {
        for (const item of jobs) item.reject(new SementeError("UNAVAILABLE", "gateway is shutting down"));
      }
      queues.clear();
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** Options of `cacheManifestInputs`. */
export interface ManifestCacheOptions {
  /** Parse outcomes kept; the least recently used is dropped beyond it. @default 256 */
  maxEntries?: number;
}

/**
 * A parser that remembers outcomes by (job kind, media type, sha256 of the text). Parsing is a pure
 * function of those, and clients (CI pipelines, retries under a new Idempotency-Key) send the same
 * manifest again and again; concurrent requests with the same body share one parse. Outcomes are
 * deep-frozen: every request shares them. A refusal of the parser itself (timeout, queue full) is
 * not an outcome of the text and is not kept.
 */
export function cacheManifestInputs(parse: ManifestParser, options: ManifestCacheOptions = {}): ManifestParser {
  const maxEntries = options.maxEntries ?? 256;
  const outcomes = new Map<string, Promise<ManifestInput>>();
  return (job, owner) => {
    const key = `${job.kind}\n${job.json}\n${sha256Hex(job.text)}`;
    let outcome = outcomes.get(key);
    if (outcome === undefined) {
      outcome = parse(job, owner).then(deepFreeze);
      outcome.catch(() => outcomes.delete(key));
    }
    // Re-inserting keeps the Map in least-recently-used order, so eviction drops the idlest entry.
    outcomes.delete(key);
    outcomes.set(key, outcome);
    if (outcomes.size > maxEntries) outcomes.delete(outcomes.keys().next().value as string);
    return outcome;
  };
}
