/** A job run now and then again `intervalMs` after each run ends, until stopped. */
export interface Periodic {
  /** Schedules the first run at once (nothing when the interval is 0 or less). */
  start(): void;
  /** Stops the schedule and waits for a run in flight. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The schedule of the background passes (rollup refresh, retention): never two runs at once,
 * the next one `intervalMs` after the previous ended. `run` handles its own errors (a rejection
 * is only a scheduled retry here); it resolves `'idle'` when there will never be work for this
 * process (on TimescaleDB, say), which ends the schedule.
 */
export function periodic(intervalMs: number, run: () => Promise<'idle' | undefined>): Periodic {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopping: Promise<void> | undefined;
  const cycle = (): void => {
    running = run()
      .then(
        (r) => {
          if (r === 'idle') stopped = true;
        },
        () => undefined,
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(cycle, intervalMs);
      });
  };
  return {
    start() {
      if (intervalMs > 0 && !stopped) timer = setTimeout(cycle, 0);
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
      })();
      return stopping;
    },
  };
}
