/**
 * Small seeded pseudo-random numbers. Scenarios must be reproducible for a
 * given `--seed`, so nothing here touches `Math.random`.
 */

/** mulberry32: a 32-bit state PRNG, good enough for simulated sensor noise. Returns uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a hash of a string to an unsigned 32-bit integer (stable keys for per-point noise). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mixes several 32-bit integers into one seed (murmur3 finaliser per step). */
function mixSeed(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h ^= p >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/**
 * Noise that is a pure function of (seed, key, index): the value of one point at
 * one instant never depends on what else was generated before it, so a scenario
 * can evaluate any point at any time (and look ahead, e.g. to find when a 2oo3
 * vote trips) and still be deterministic.
 */
export function uniformAt(seed: number, keyHash: number, index: number): number {
  // index may exceed 2^32 for millisecond offsets of very long runs; fold the high part in.
  const lo = index >>> 0;
  const hi = Math.floor(index / 4294967296) >>> 0;
  return mulberry32(mixSeed(seed, keyHash, lo, hi))();
}

/** Standard normal variate (Box-Muller) as a pure function of (seed, key, index). */
export function gaussianAt(seed: number, keyHash: number, index: number): number {
  const u1 = Math.max(uniformAt(seed, keyHash, index * 2), Number.EPSILON);
  const u2 = uniformAt(seed, keyHash, index * 2 + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
