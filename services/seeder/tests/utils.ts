import type { NatsConnection, Subscription } from "@nats-io/transport-node";

/** Collects the JSON payloads published on `subject` (core NATS) until `count` arrived or `timeoutMs` passed. */
export function collect<T>(
  nc: NatsConnection,
  subject: string,
): {
  items: T[];
  sub: Subscription;
  until(count: number, timeoutMs?: number): Promise<T[]>;
} {
  const items: T[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_err, msg) => {
      items.push(JSON.parse(new TextDecoder().decode(msg.data)) as T);
      for (const w of waiters) if (items.length >= w.count) w.resolve();
    },
  });
  return {
    items,
    sub,
    async until(count, timeoutMs = 15_000) {
      if (items.length < count) {
        const done = Promise.withResolvers<void>();
        waiters.push({ count, resolve: done.resolve });
        const timer = setTimeout(done.resolve, timeoutMs);
        await done.promise;
        clearTimeout(timer);
      }
      return items;
    },
  };
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes; returns its last answer. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await Bun.sleep(50);
  }
  return check();
}
