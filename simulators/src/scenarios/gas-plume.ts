/**
 * The concentration a detector sees from a leak, without noise: zero before
 * `startS`, a linear rise to `peak` at `rampEndS`, a plateau, then exponential
 * dispersal with time constant `decayTauS` once the leak is isolated.
 */
export interface PlumeProfile {
  startS: number;
  rampEndS: number;
  peak: number;
  isolatedS: number;
  decayTauS: number;
}

/** Noise-free value of a plume profile at simulated second `tS`. */
export function plumeAt(p: PlumeProfile, tS: number): number {
  const rising = (t: number) => (t <= p.startS ? 0 : t >= p.rampEndS ? p.peak : (p.peak * (t - p.startS)) / (p.rampEndS - p.startS));
  if (tS < p.isolatedS) return rising(tS);
  return rising(p.isolatedS) * Math.exp(-(tS - p.isolatedS) / p.decayTauS);
}

/** When the noise-free profile first reaches `level` on the way up, and when it falls below it again; null if never. */
export function plumeCrossings(p: PlumeProfile, level: number): { upS: number; downS: number } | null {
  const top = plumeAt(p, Math.min(p.rampEndS, p.isolatedS));
  if (top < level) return null;
  const upS = p.startS + (level / p.peak) * (p.rampEndS - p.startS);
  const downS = p.isolatedS + p.decayTauS * Math.log(top / level);
  return { upS, downS };
}
