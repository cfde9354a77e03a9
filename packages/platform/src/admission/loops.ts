/** The background loops of an admission controller (heartbeat, sweep): start once, stop and drain. */
export interface Loops {
  start(tasks: { name: string; periodMs: number; task: () => Promise<unknown> }[]): void;
  /** Stops every loop and waits for a running iteration. */
  stop(): Promise<void>;
}

/** Each loop runs its task, then waits its period after the task settles (never overlapping). */
export function createLoops(onError: (error: unknown) => void): Loops {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const inFlight = new Set<Promise<unknown>>();
  let running = false;

  function loop(name: string, periodMs: number, task: () => Promise<unknown>): void {
    const tick = () => {
      if (!running) return;
      const p: Promise<unknown> = task()
        .catch(onError)
        .finally(() => {
          inFlight.delete(p);
          if (running) timers.set(name, setTimeout(tick, periodMs));
        });
      inFlight.add(p);
    };
    timers.set(name, setTimeout(tick, periodMs));
  }

  return {
    start(tasks) {
      if (running) return;
      running = true;
      for (const { name, periodMs, task } of tasks) loop(name, periodMs, task);
    },
    async stop() {
      running = false;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}
