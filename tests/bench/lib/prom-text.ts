/** Samples of a Prometheus text exposition, keyed by `name{labels}` exactly as written. */
export type PromSamples = Map<string, number>;

export function parsePromText(text: string): PromSamples {
  const out: PromSamples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

export interface HistogramDelta {
  /** Upper bounds in ascending order, +Inf last. */
  buckets: Array<{ le: number; count: number }>;
  count: number;
  sum: number;
}

/** A histogram's observations between two scrapes (cumulative bucket counts). */
export function histogramDelta(before: PromSamples, after: PromSamples, name: string): HistogramDelta {
  const buckets: Array<{ le: number; count: number }> = [];
  const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}$`);
  for (const [k, v] of after) {
    const m = re.exec(k);
    if (!m?.[1]) continue;
    const le = m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]);
    buckets.push({ le, count: v - (before.get(k) ?? 0) });
  }
  buckets.sort((x, y) => x.le - y.le);
  const d = (suffix: string) => (after.get(`${name}_${suffix}`) ?? 0) - (before.get(`${name}_${suffix}`) ?? 0);
  return { buckets, count: d('count'), sum: d('sum') };
}

/**
 * Quantile of a histogram by linear interpolation inside the bucket that holds
 * it, as PromQL's histogram_quantile does: an estimate, never finer than the
 * bucket bounds. Returns the bucket's upper bound as `le` to say how coarse.
 */
export function histogramQuantile(q: number, h: HistogramDelta): { value: number; bucketLow: number; bucketHigh: number } | null {
  if (h.count <= 0) return null;
  const rank = q * h.count;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return { value: prevLe, bucketLow: prevLe, bucketHigh: b.le };
      const inBucket = b.count - prevCount;
      const value = inBucket > 0 ? prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket : b.le;
      return { value, bucketLow: prevLe, bucketHigh: b.le };
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return null;
}

/** Difference of one counter between two scrapes (0 when absent). */
export function counterDelta(before: PromSamples, after: PromSamples, key: string): number {
  return (after.get(key) ?? 0) - (before.get(key) ?? 0);
}
