import { type PositionPayload, type SiteFile, topicFor } from '@hazardwatch/contracts';
import { ScenarioOptionsError } from '../errors.js';
import { insidePolygon, type LonLat, makeRoute, pointAlong, type Route, reverseRoute } from '../geo.js';
import { mergeByTime } from '../merge-by-time.js';
import { gaussianAt, hashString } from '../prng.js';
import type { ScenarioDefinition } from '../scenario-definition.js';
import type { SimMessage } from '../sim-message.js';
import { bundledSite } from '../site-files.js';

const MIN = 60;
const H = 3600;

/** A piece of a vehicle's day: driving at a nominal speed, or standing (engine on or off). */
export type Leg = { kind: 'drive'; durationS: number; speedKmh: number } | { kind: 'stop'; durationS: number; accOn: boolean };

/** Route names: the G3 corridor of the site, either way, and an urban route through the no-entry zone. */
export type RouteName = 'g3-north' | 'g3-south' | 'urban-east';

/** One vehicle's script: its route and its legs; after the last leg it stays parked (ACC off). */
export interface VehiclePlan {
  vehicleId: string;
  route: RouteName;
  /** Turn round at the end of the route instead of stopping there. */
  bounce: boolean;
  legs: readonly Leg[];
  /** The terminal stops reporting from this simulated second on (no position at or after it). */
  offlineAtS?: number;
}

/**
 * The script of `vehicles` (simulated seconds; 5 h by default). Positions at `rateHz`
 * (default 1 Hz, JT/T 808 while moving; also while standing with the engine on) and every
 * 60 s while parked with ACC off. After its last leg a vehicle stays parked (ACC off).
 * - lud-g0601 (LPG) speeds on the G3 expressway: 85 km/h from 30:00 to 36:00 (limit 80).
 * - lud-g0602 (methanol) drives 4 h 30 min with only a 12 min stop (< 20 min) at 2 h 10 min,
 *   then rests 30 min: continuous driving passes 4 h at 4:00:00 (terminal sets its fatigue bit).
 * - lud-g0603 (chlorine) leaves the depot at 1:00:00 on urban roads at 40 km/h and crosses the
 *   Shizhong no-entry zone (entry/exit times in the built scenario's facts, ≈ 1:32 to 1:43).
 * - lud-g0604 (sulphuric acid) goes dark at 1:00:00: no positions after it; its retained status
 *   `{online:false}` follows 90 s later (as the broker's last will would after keep-alive).
 * - lud-g0605 (diesel) is compliant: 70 km/h, a 25 min rest at 1:50:00.
 * The G3 corridor applies to 0601, 0602, 0604 and 0605; 0603 never uses it.
 */
export const VEHICLES_PLAN = {
  enterpriseId: 'sd-zz-hengtong-trans',
  corridorGeofenceId: 'gf-g3-corridor',
  noEntryGeofenceId: 'gf-szq-no-entry',
  /** Position interval while parked with ACC off. */
  parkedIntervalS: 60,
  /** Lateral GPS scatter, metres (standard deviation). */
  gpsNoiseM: 3,
  /** Reported speed scatter, km/h (standard deviation). */
  speedNoiseKmh: 0.5,
  limits: { expresswayKmh: 80, otherRoadKmh: 60, fatigueDrivingS: 4 * H, fatigueRestS: 20 * MIN },
  speeding: { vehicleId: 'lud-g0601', roadClass: 'expressway', fromS: 30 * MIN, untilS: 36 * MIN, speedKmh: 85 },
  fatigue: { vehicleId: 'lud-g0602', shortStopFromS: 130 * MIN, shortStopUntilS: 142 * MIN, restFromS: 270 * MIN, restUntilS: 300 * MIN },
  noEntry: { vehicleId: 'lud-g0603', departS: 60 * MIN, speedKmh: 40 },
  offline: { vehicleId: 'lud-g0604', offlineAtS: 60 * MIN, statusOfflineAtS: 60 * MIN + 90 },
  compliant: { vehicleId: 'lud-g0605' },
  corridorVehicles: ['lud-g0601', 'lud-g0602', 'lud-g0604', 'lud-g0605'],
} as const;

/** Each vehicle's day, leg by leg (see {@link VEHICLES_PLAN}). */
export const VEHICLE_PLANS: readonly VehiclePlan[] = [
  {
    vehicleId: 'lud-g0601',
    route: 'g3-north',
    bounce: false,
    legs: [
      { kind: 'drive', durationS: 30 * MIN, speedKmh: 75 },
      { kind: 'drive', durationS: 6 * MIN, speedKmh: 85 },
      { kind: 'drive', durationS: 84 * MIN, speedKmh: 75 },
      { kind: 'stop', durationS: 30 * MIN, accOn: false },
      { kind: 'drive', durationS: 50 * MIN, speedKmh: 72 },
    ],
  },
  {
    vehicleId: 'lud-g0602',
    route: 'g3-north',
    bounce: true,
    legs: [
      { kind: 'drive', durationS: 130 * MIN, speedKmh: 65 },
      { kind: 'stop', durationS: 12 * MIN, accOn: false },
      { kind: 'drive', durationS: 128 * MIN, speedKmh: 65 },
      { kind: 'stop', durationS: 30 * MIN, accOn: false },
    ],
  },
  {
    vehicleId: 'lud-g0603',
    route: 'urban-east',
    bounce: false,
    legs: [
      { kind: 'stop', durationS: 60 * MIN, accOn: false },
      { kind: 'drive', durationS: 55 * MIN, speedKmh: 40 },
    ],
  },
  {
    vehicleId: 'lud-g0604',
    route: 'g3-south',
    bounce: false,
    legs: [{ kind: 'drive', durationS: 3 * H, speedKmh: 70 }],
    offlineAtS: 60 * MIN,
  },
  {
    vehicleId: 'lud-g0605',
    route: 'g3-north',
    bounce: false,
    legs: [
      { kind: 'drive', durationS: 110 * MIN, speedKmh: 70 },
      { kind: 'stop', durationS: 25 * MIN, accOn: false },
      { kind: 'drive', durationS: 70 * MIN, speedKmh: 70 },
    ],
  },
];

/** Urban delivery route from the depot in Xuecheng east through the Shizhong city centre. */
export const URBAN_EAST_ROUTE: readonly LonLat[] = [
  [117.3, 34.79],
  [117.42, 34.815],
  [117.52, 34.85],
  [117.556, 34.864],
  [117.6, 34.88],
  [117.68, 34.9],
];

/** JT/T 808-2019 position alarm bits a terminal sets itself. */
const ALARM_OVERSPEED = 1 << 1;
const ALARM_FATIGUE = 1 << 2;

interface VehicleState {
  alongM: number;
  moving: boolean;
  accOn: boolean;
  nominalKmh: number;
  /** Start of the current stretch of driving not broken by a rest of at least 20 min. */
  drivingSinceS: number | null;
}

/** Where a vehicle following `plan` is at `tS` (noise-free). */
function stateAt(plan: VehiclePlan, tS: number): VehicleState {
  let t0 = 0;
  let along = 0;
  let drivingSince: number | null = null;
  for (const leg of plan.legs) {
    const t1 = t0 + leg.durationS;
    const inLeg = tS < t1;
    const dt = (inLeg ? tS : t1) - t0;
    if (leg.kind === 'drive') {
      drivingSince ??= t0;
      along += (leg.speedKmh / 3.6) * dt;
      if (inLeg) return { alongM: along, moving: true, accOn: true, nominalKmh: leg.speedKmh, drivingSinceS: drivingSince };
    } else {
      if (dt >= VEHICLES_PLAN.limits.fatigueRestS) drivingSince = null;
      if (inLeg) return { alongM: along, moving: false, accOn: leg.accOn, nominalKmh: 0, drivingSinceS: drivingSince };
    }
    t0 = t1;
  }
  return { alongM: along, moving: false, accOn: false, nominalKmh: 0, drivingSinceS: tS - t0 >= VEHICLES_PLAN.limits.fatigueRestS ? null : drivingSince };
}

/** Position on the route; with `bounce`, the vehicle turns round at each end. */
function placeOnRoute(route: Route, alongM: number, bounce: boolean): { at: LonLat; headingDeg: number } {
  if (!bounce || alongM <= route.lengthM) return pointAlong(route, alongM);
  const lap = alongM % (2 * route.lengthM);
  if (lap <= route.lengthM) return pointAlong(route, lap);
  const p = pointAlong(route, 2 * route.lengthM - lap);
  return { at: p.at, headingDeg: (p.headingDeg + 180) % 360 };
}

/** The routes of the scenario, built from the site's corridor geofence. */
function routesOf(site: SiteFile): Record<RouteName, Route> {
  const corridor = site.geofences.find((g) => g.id === VEHICLES_PLAN.corridorGeofenceId);
  if (!corridor || corridor.kind !== 'route_corridor')
    throw new ScenarioOptionsError([`scenario vehicles needs the route_corridor geofence ${VEHICLES_PLAN.corridorGeofenceId} in the site`]);
  const north = makeRoute(corridor.line.map(([lon, lat]) => [lon, lat] as const));
  return { 'g3-north': north, 'g3-south': reverseRoute(north), 'urban-east': makeRoute(URBAN_EAST_ROUTE) };
}

const round = (v: number, decimals: number) => Math.round(v * 10 ** decimals) / 10 ** decimals;

/** One vehicle's position (and offline status) messages, in time order. */
function* vehicleStream(
  plan: VehiclePlan,
  route: Route,
  opts: { enterpriseId: string; seed: number; startMs: number; endMs: number; movingIntervalMs: number; topicPrefix: string },
): Generator<SimMessage> {
  const topic = topicFor(opts.enterpriseId, plan.vehicleId, 'position', opts.topicPrefix);
  const key = hashString(plan.vehicleId);
  const phaseMs = key % 1000;
  const offlineMs = plan.offlineAtS === undefined ? Number.POSITIVE_INFINITY : plan.offlineAtS * 1000;
  let heading = placeOnRoute(route, 0, plan.bounce).headingDeg;
  for (let offsetMs = phaseMs; offsetMs < opts.endMs && offsetMs < offlineMs; ) {
    const tS = offsetMs / 1000;
    const s = stateAt(plan, tS);
    const where = placeOnRoute(route, s.alongM, plan.bounce);
    if (s.moving) heading = where.headingDeg;
    const i = Math.round(offsetMs);
    const gpsM = VEHICLES_PLAN.gpsNoiseM;
    const lat = where.at[1] + (gpsM / 111_320) * gaussianAt(opts.seed, key, i * 4);
    const lon = where.at[0] + (gpsM / (111_320 * Math.cos((where.at[1] * Math.PI) / 180))) * gaussianAt(opts.seed, key, i * 4 + 1);
    const speedKmh = s.moving ? Math.max(0, round(s.nominalKmh + VEHICLES_PLAN.speedNoiseKmh * gaussianAt(opts.seed, key, i * 4 + 2), 1)) : 0;
    let alarmFlags = 0;
    if (speedKmh > VEHICLES_PLAN.limits.expresswayKmh) alarmFlags |= ALARM_OVERSPEED;
    if (s.accOn && s.drivingSinceS !== null && tS - s.drivingSinceS > VEHICLES_PLAN.limits.fatigueDrivingS) alarmFlags |= ALARM_FATIGUE;
    const atMs = opts.startMs + offsetMs;
    const payload: PositionPayload = {
      ts: atMs,
      lat: round(lat, 6),
      lon: round(lon, 6),
      speedKmh,
      heading: Math.round(heading) % 360,
      altitudeM: Math.round(60 + 40 * Math.sin(s.alongM / 20_000)),
      accOn: s.accOn,
      alarmFlags,
    };
    yield { family: 'position', topic, enterpriseId: opts.enterpriseId, deviceId: plan.vehicleId, atMs, payload };
    offsetMs += s.accOn ? opts.movingIntervalMs : VEHICLES_PLAN.parkedIntervalS * 1000;
  }
  const statusAtMs = plan.offlineAtS === undefined ? null : (plan.offlineAtS + 90) * 1000;
  if (statusAtMs !== null && statusAtMs < opts.endMs) {
    const atMs = opts.startMs + statusAtMs;
    yield {
      family: 'status',
      topic: topicFor(opts.enterpriseId, plan.vehicleId, 'status', opts.topicPrefix),
      enterpriseId: opts.enterpriseId,
      deviceId: plan.vehicleId,
      atMs,
      payload: { online: false, ts: atMs },
      retain: true,
    };
  }
}

/** When the no-entry vehicle is inside the zone (noise-free, 1 s resolution), from the site's polygon. */
function intrusionWindow(site: SiteFile, routes: Record<RouteName, Route>): { enterS: number; exitS: number } | null {
  const zone = site.geofences.find((g) => g.id === VEHICLES_PLAN.noEntryGeofenceId);
  const plan = VEHICLE_PLANS.find((v) => v.vehicleId === VEHICLES_PLAN.noEntry.vehicleId);
  if (!zone || zone.kind !== 'no_entry' || !plan) return null;
  const ring = zone.polygon.map(([lon, lat]) => [lon, lat] as const);
  const total = plan.legs.reduce((s, l) => s + l.durationS, 0);
  let enterS: number | null = null;
  for (let t = 0; t <= total; t++) {
    const inside = insidePolygon(placeOnRoute(routes[plan.route], stateAt(plan, t).alongM, plan.bounce).at, ring);
    if (inside && enterS === null) enterS = t;
    if (!inside && enterS !== null) return { enterS, exitS: t };
  }
  return enterS === null ? null : { enterS, exitS: total };
}

/** `vehicles`: see {@link VEHICLES_PLAN}. */
export const vehiclesScenario: ScenarioDefinition = {
  name: 'vehicles',
  summary: 'five tankers: one at 85 km/h on G3 for 6 min, one driving 4.5 h without a 20 min rest, one entering the no-entry zone, one going offline',
  defaultDurationS: 5 * H,
  minDurationS: 4.5 * H,
  unboundedAllowed: false,
  defaultSpeed: 'max',
  options: ['rateHz', 'site'],
  build(ctx) {
    const site = ctx.site ?? bundledSite('transport');
    const known = new Set(site.vehicles.map((v) => v.id));
    const missing = VEHICLE_PLANS.filter((v) => !known.has(v.vehicleId)).map((v) => v.vehicleId);
    if (missing.length > 0) throw new ScenarioOptionsError([`scenario vehicles needs vehicles missing from the site: ${missing.join(', ')}`]);
    const routes = routesOf(site);
    const rateHz = ctx.rateHz ?? 1;
    const opts = {
      enterpriseId: site.enterprise.id,
      seed: ctx.seed,
      startMs: ctx.startMs,
      endMs: ctx.durationS * 1000,
      movingIntervalMs: Math.max(1, Math.round(1000 / rateHz)),
      topicPrefix: ctx.topicPrefix,
    };
    return {
      site,
      messages: () => mergeByTime(...VEHICLE_PLANS.map((plan) => vehicleStream(plan, routes[plan.route], opts))),
      facts: {
        ...VEHICLES_PLAN,
        vehicles: VEHICLE_PLANS,
        positionIntervalS: opts.movingIntervalMs / 1000,
        routeLengthM: { 'g3-north': routes['g3-north'].lengthM, 'urban-east': routes['urban-east'].lengthM },
        noEntryWindowS: intrusionWindow(site, routes),
      },
    };
  },
};
