/** Options of {@link createBrokerWatch}. */
export interface BrokerWatchOptions {
  /** One round trip to the broker (`natsProbe(nc)`); a rejection or a timeout counts as down. */
  probe: () => Promise<unknown>;
  /** How long the broker may stay unreachable before `onLost` is called. */
  boundMs: number;
  /**
   * Period of the probe, also its timeout.
   * @default min(1_000, boundMs / 4)
   */
  intervalMs?: number;
  /**
   * Called on every check once the outage has lasted `boundMs` or more, until the broker answers
   * again (it must be idempotent: work that appeared meanwhile is caught by the next call).
   */
  onLost: (downForMs: number) => Promise<void>;
  /** Called once when the broker answers again after an outage that reached `boundMs`. */
  onRestored?: (downForMs: number) => Promise<void>;
  onError?: (error: unknown) => void;
  /** Injected in tests. @default performance.now */
  now?: () => number;
}

/** Measures broker outages and reports the ones longer than a bound. */
export interface BrokerWatch {
  /** Probes once and acts on the result (the timer calls it; exposed for tests). */
  check(): Promise<void>;
  /** Milliseconds the current outage has lasted, or `null` while the broker answers. */
  downForMs(): number | null;
  start(): void;
  stop(): Promise<void>;
}

/** Builds a broker watch (not started). */
export function createBrokerWatch(options: BrokerWatchOptions): BrokerWatch {
  const now = options.now ?? (() => performance.now());
  const intervalMs = options.intervalMs ?? Math.max(1, Math.min(1_000, Math.floor(options.boundMs / 4)));
  const onError = options.onError ?? (() => undefined);
  let downSince: number | null = null;
  let lost = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let pending: Promise<void> | undefined;

  async function answers(): Promise<boolean> {
    let timeout: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<false>((resolve) => {
      timeout = setTimeout(() => resolve(false), intervalMs);
    });
    try {
      return await Promise.race([options.probe().then(() => true), expired]);
    } catch {
      // A rejected probe is the measurement itself: the broker did not answer.
      return false;
    } finally {
      clearTimeout(timeout);
    }
  }

  async function check(): Promise<void> {
    if (await answers()) {
      const down = downSince === null ? 0 : now() - downSince;
      downSince = null;
      if (lost) {
        lost = false;
        await options.onRestored?.(down);
      }
      return;
    }
    downSince ??= now();
    const down = now() - downSince;
    if (down >= options.boundMs) {
      lost = true;
      await options.onLost(down);
    }
  }

  function tick(): void {
    if (!running) return;
    pending = check()
      .catch(onError)
      .finally(() => {
        pending = undefined;
        if (running) timer = setTimeout(tick, intervalMs);
      });
  }

  return {
    check,
    downForMs: () => (downSince === null ? null : now() - downSince),
    start() {
      if (running) return;
      running = true;
      timer = setTimeout(tick, intervalMs);
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await pending;
    },
  };
}
