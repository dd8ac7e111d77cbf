import type { PointKind, SitePoint } from '@hazardwatch/contracts';
import { gaussianAt, hashString } from './prng.js';

/** A point's value as a pure function of simulated seconds since the scenario start. */
export type PointSignal = (tS: number) => number;

/** Decimal places a real instrument of each kind reports. */
const DECIMALS: Readonly<Record<PointKind, number>> = {
  combustible_gas: 1,
  toxic_gas: 1,
  oxygen: 2,
  pressure: 3,
  level: 3,
  temperature: 1,
  flow: 1,
  valve_state: 0,
  pump_state: 0,
  interlock_state: 0,
  interlock_bypass: 0,
  pond_level: 3,
  beach_length: 1,
  phreatic_depth: 2,
  displacement: 1,
  rainfall: 1,
  other: 3,
};

/**
 * Clamps a value into the point's instrument range and rounds it as the instrument
 * would: scenarios never emit an out-of-range reading unless they mean to.
 */
export function finishValue(point: Pick<SitePoint, 'kind' | 'rangeMin' | 'rangeMax'>, v: number): number {
  const f = 10 ** DECIMALS[point.kind];
  const clamped = Math.min(Math.max(v, point.rangeMin), point.rangeMax);
  const rounded = Math.round(clamped * f) / f;
  // Rounding can step back over a range edge that is not on the grid.
  return Math.min(Math.max(rounded, point.rangeMin), point.rangeMax);
}

/**
 * Gaussian noise for one point: a pure function of (seed, point, simulated millisecond),
 * so the same point at the same instant always gets the same noise.
 */
export function pointNoise(seed: number, pointKey: string): (tS: number) => number {
  const h = hashString(pointKey);
  return (tS) => gaussianAt(seed, h, Math.round(tS * 1000));
}

/** Sensor noise (standard deviation) of a quiet point, in its unit. */
function noiseSd(point: Pick<SitePoint, 'kind' | 'rangeMin' | 'rangeMax'>): number {
  const span = point.rangeMax - point.rangeMin;
  switch (point.kind) {
    case 'combustible_gas':
      return 0.4;
    case 'toxic_gas':
      return 0.2;
    case 'oxygen':
      return 0.03;
    case 'pressure':
      return 0.001 * span;
    case 'level':
      return 0.0005 * span;
    case 'temperature':
      return 0.1;
    case 'flow':
      return 0.005 * span;
    case 'pond_level':
      return 0.004;
    case 'beach_length':
      return 0.3;
    case 'phreatic_depth':
      return 0.02;
    case 'displacement':
      return 0.8;
    case 'other':
      return 0.002 * span;
    default:
      // states and rainfall are exact
      return 0;
  }
}

/** Where a quiet point sits when the scenario names no baseline for it. */
function defaultBaseline(point: Pick<SitePoint, 'kind' | 'rangeMin' | 'rangeMax'>): number {
  const at = (f: number) => point.rangeMin + f * (point.rangeMax - point.rangeMin);
  switch (point.kind) {
    case 'combustible_gas':
    case 'toxic_gas':
    case 'rainfall':
      return point.rangeMin;
    case 'oxygen':
      return 20.9;
    case 'temperature':
      return Math.min(Math.max(20, point.rangeMin), point.rangeMax);
    case 'valve_state':
    case 'pump_state':
      // open / running
      return point.rangeMax;
    case 'interlock_state':
    case 'interlock_bypass':
      // not tripped / not bypassed
      return point.rangeMin;
    case 'displacement':
      return point.rangeMin <= 0 && point.rangeMax >= 0 ? 0 : at(0.5);
    case 'flow':
      return at(0.6);
    case 'beach_length':
      return at(0.5);
    default:
      return at(0.4);
  }
}

/**
 * A quiet point: its baseline plus sensor noise. Gas detectors read a small
 * non-negative value in clean air (zero drift), never a negative concentration.
 */
export function quietSignal(point: SitePoint, pointKey: string, seed: number, baseline = defaultBaseline(point)): PointSignal {
  const sd = noiseSd(point);
  if (sd === 0) return () => baseline;
  const noise = pointNoise(seed, pointKey);
  if (point.kind === 'combustible_gas' || point.kind === 'toxic_gas') return (tS) => baseline + Math.abs(noise(tS)) * sd;
  return (tS) => baseline + noise(tS) * sd;
}
