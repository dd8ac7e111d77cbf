import type { SiteFile } from '@hazardwatch/contracts';
import { ScenarioOptionsError } from '../errors.js';
import { finishValue, type PointSignal, pointNoise } from '../point-signals.js';
import { deviceSchedule, pointKey, sampleTimeS } from '../site-telemetry.js';
import { SIS_PT_OFFSETS_MPA } from './plant-baselines.js';

/**
 * The script shared by `tank-overpressure` and `interlock-fail` (simulated seconds from
 * the start). TK-101 is being filled from a road tanker when its spray cooling fails on a
 * hot afternoon: from 120 s temperature and pressure climb linearly; the high alarm level
 * (1.40 MPa) is passed at about 353 s, the trip level of interlock IS-1011 (1.60 MPa,
 * 2oo3 on PT-1012A/B/C) at about 438 s. The SIS sets `trip` = 1 (latched) at the first
 * sample where two of the three transmitters read ≥ 1.60 MPa.
 * - `tank-overpressure`: the inlet ESD valve XV-1011 closes `valveStrokeS` after the trip,
 *   filling stops, the deluge cools the sphere and pressure falls back towards 0.95 MPa.
 * - `interlock-fail`: the valve never closes (stuck open); pressure keeps rising to
 *   1.70 MPa at 480 s and creeps towards 1.74 MPa. The bypass switch stays off throughout.
 */
export const TANK_EVENT_PLAN = {
  enterpriseId: 'sd-ht-jinyu-chem',
  hazardSourceId: 'hs-tank-farm-lpg',
  tankDeviceId: 'tk-101',
  sisDeviceId: 'sis-tk101',
  /** SIS channels: three voting transmitters, the inlet ESD valve (1 open, 0 closed), bypass (1 on), trip (1 demanded). */
  sisChannels: { transmitters: ['pt_a', 'pt_b', 'pt_c'], valve: 'xv_inlet', bypass: 'bypass', trip: 'trip' },
  vote: { k: 2, n: 3 },
  eventStartS: 120,
  rampEndS: 480,
  pressureStartMPa: 0.85,
  pressureRampEndMPa: 1.7,
  highAlarmMPa: 1.4,
  tripMPa: 1.6,
  designPressureMPa: 1.77,
  temperatureStartC: 18,
  temperatureRampEndC: 46,
  levelStartM: 9.2,
  /** Filling rate while the inlet is open. */
  fillRateMPerS: 0.002,
  valveStrokeS: 2,
  recovery: { pressureMPa: 0.95, temperatureC: 24, tauS: 150 },
  stuckOpen: { pressurePlateauMPa: 1.74, temperaturePlateauC: 48, tauS: 300 },
  transmitterNoiseSdMPa: 0.002,
} as const;

const P = TANK_EVENT_PLAN;
const clamp01 = (x: number) => Math.min(Math.max(x, 0), 1);
const rampFraction = (tS: number) => clamp01((tS - P.eventStartS) / (P.rampEndS - P.eventStartS));

/** Pressure (MPa) and temperature (°C) as if nothing acted on the tank: the ramp, then the stuck-open plateau. */
function unmitigated(tS: number): { pressure: number; temperature: number } {
  if (tS <= P.rampEndS) {
    const f = rampFraction(tS);
    return {
      pressure: P.pressureStartMPa + f * (P.pressureRampEndMPa - P.pressureStartMPa),
      temperature: P.temperatureStartC + f * (P.temperatureRampEndC - P.temperatureStartC),
    };
  }
  const g = 1 - Math.exp(-(tS - P.rampEndS) / P.stuckOpen.tauS);
  return {
    pressure: P.pressureRampEndMPa + g * (P.stuckOpen.pressurePlateauMPa - P.pressureRampEndMPa),
    temperature: P.temperatureRampEndC + g * (P.stuckOpen.temperaturePlateauC - P.temperatureRampEndC),
  };
}

/** The tank's noise-free state given when (if ever) the inlet valve closed. */
function tankState(tS: number, valveClosedS: number | null): { pressure: number; temperature: number; level: number } {
  const fillUntil = valveClosedS === null ? tS : Math.min(tS, valveClosedS);
  const level = P.levelStartM + P.fillRateMPerS * Math.max(0, fillUntil);
  if (valveClosedS === null || tS < valveClosedS) return { ...unmitigated(tS), level };
  const at = unmitigated(valveClosedS);
  const d = Math.exp(-(tS - valveClosedS) / P.recovery.tauS);
  return {
    pressure: P.recovery.pressureMPa + (at.pressure - P.recovery.pressureMPa) * d,
    temperature: P.recovery.temperatureC + (at.temperature - P.recovery.temperatureC) * d,
    level,
  };
}

/**
 * Signals of TK-101 and its SIS for one run, with the trip time found by running the
 * 2oo3 vote over the very values the SIS will publish (noise included).
 */
export function tankEventSignals(
  site: SiteFile,
  seed: number,
  durationS: number,
  valveCloses: boolean,
): { signals: Record<string, PointSignal>; tripAtS: number | null; valveClosedAtS: number | null } {
  const sis = site.devices.find((d) => d.id === P.sisDeviceId);
  if (!sis) throw new ScenarioOptionsError([`the site has no device ${P.sisDeviceId}`]);
  const ptPoint = sis.points.find((p) => p.channel === 'pt_a');
  if (!ptPoint) throw new ScenarioOptionsError([`${P.sisDeviceId} has no channel pt_a`]);
  const transmitters = P.sisChannels.transmitters.map((ch) => {
    const noise = pointNoise(seed, pointKey(P.sisDeviceId, ch));
    return {
      ch,
      raw: (tS: number, valveClosedS: number | null) => tankState(tS, valveClosedS).pressure + SIS_PT_OFFSETS_MPA[ch] + P.transmitterNoiseSdMPa * noise(tS),
    };
  });

  // Before the trip the valve is open whatever the scenario, so the vote runs on the unmitigated values.
  const schedule = deviceSchedule(sis);
  let tripAtS: number | null = null;
  for (let k = 0; ; k++) {
    const tS = sampleTimeS(schedule, k);
    if (tS >= durationS) break;
    const votes = transmitters.filter((t) => finishValue(ptPoint, t.raw(tS, null)) >= P.tripMPa).length;
    if (votes >= P.vote.k) {
      tripAtS = tS;
      break;
    }
  }
  const valveClosedAtS = valveCloses && tripAtS !== null ? tripAtS + P.valveStrokeS : null;

  const tankNoise = (ch: string) => pointNoise(seed, pointKey(P.tankDeviceId, ch));
  const nP = tankNoise('pressure');
  const nT = tankNoise('temp');
  const nL = tankNoise('level');
  const signals: Record<string, PointSignal> = {
    [pointKey(P.tankDeviceId, 'pressure')]: (tS) => tankState(tS, valveClosedAtS).pressure + 0.0025 * nP(tS),
    [pointKey(P.tankDeviceId, 'temp')]: (tS) => tankState(tS, valveClosedAtS).temperature + 0.1 * nT(tS),
    [pointKey(P.tankDeviceId, 'level')]: (tS) => tankState(tS, valveClosedAtS).level + 0.008 * nL(tS),
    [pointKey(P.sisDeviceId, P.sisChannels.trip)]: (tS) => (tripAtS !== null && tS >= tripAtS ? 1 : 0),
    [pointKey(P.sisDeviceId, P.sisChannels.valve)]: (tS) => (valveClosedAtS !== null && tS >= valveClosedAtS ? 0 : 1),
    [pointKey(P.sisDeviceId, P.sisChannels.bypass)]: () => 0,
  };
  for (const t of transmitters) signals[pointKey(P.sisDeviceId, t.ch)] = (tS) => t.raw(tS, valveClosedAtS);
  return { signals, tripAtS, valveClosedAtS };
}

/** Every point the tank scenarios drive, for checking a custom site. */
export const TANK_EVENT_POINTS: readonly string[] = [
  ...['pressure', 'temp', 'level'].map((c) => pointKey(P.tankDeviceId, c)),
  ...[...P.sisChannels.transmitters, P.sisChannels.valve, P.sisChannels.bypass, P.sisChannels.trip].map((c) => pointKey(P.sisDeviceId, c)),
];
