/**
 * Run every cleanup step in order even when one throws; rethrow the first error
 * at the end. `stop()` of every service is built from this.
 */
export async function runAll(steps: ReadonlyArray<() => unknown | Promise<unknown>>): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

/** Memoise a stop function so calling it twice is safe and waits for the same work. */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
}
