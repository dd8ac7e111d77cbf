/**
 * A gate that opens at most once per `ms`: for the log line of a failure that repeats on every
 * request or message while it lasts (the counters count every one).
 */
export function atMostEvery(ms: number, now: () => number = Date.now): () => boolean {
  let last = Number.NEGATIVE_INFINITY;
  return () => {
    const t = now();
    if (t - last < ms) return false;
    last = t;
    return true;
  };
}
