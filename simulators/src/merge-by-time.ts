import type { SimMessage } from './sim-message.js';

/**
 * Merges streams that are each ordered by `atMs` into one ordered stream.
 * Ties keep the order of the inputs (stable), so a merged stream is as
 * deterministic as its parts.
 */
export function* mergeByTime(...streams: Iterable<SimMessage>[]): Generator<SimMessage> {
  const iterators = streams.map((s) => s[Symbol.iterator]());
  const heads: (SimMessage | undefined)[] = iterators.map((it) => {
    const r = it.next();
    return r.done ? undefined : r.value;
  });
  for (;;) {
    let best = -1;
    let bestAt = Number.POSITIVE_INFINITY;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && h.atMs < bestAt) {
        best = i;
        bestAt = h.atMs;
      }
    }
    const it = iterators[best];
    const head = heads[best];
    if (!it || !head) return;
    yield head;
    const r = it.next();
    heads[best] = r.done ? undefined : r.value;
  }
}
