import type { VehicleCheck, VehicleRule } from '@hazardwatch/contracts';
import { distanceToLineM, isInside, type PreparedLine, type PreparedPolygon, prepareLine, preparePolygon } from '../geometry.js';
import { inDailyWindow, msOfDay, nextDailyBoundary, parseTimeOfDay } from '../local-time.js';
import type { KindMemory, VehicleMemory, VehicleTrack } from '../state.js';
import { cachedOps, earliest, fmt, type KindOps, type LevelInfo, NO_LEVELS, type Observation, orderLevels, vehicleSubject } from './kind-engine.js';

type Geometry = {
  levels: LevelInfo[];
  active: readonly string[];
  zones: { id: string; name: string; shape: PreparedPolygon }[];
  expressways: { line: PreparedLine; widthM: number }[];
  route: PreparedLine | null;
  windows: { from: number; to: number }[];
  boundaries: number[];
};
function prepare(rule: VehicleRule): Geometry {
  const check = rule.check;
  const zoneList = check.type === 'geofence' ? check.zones : check.type === 'long_stop' ? check.allowedAreas : [];
  const windows = check.type === 'forbidden_hours' ? check.windows.map((w) => ({ from: parseTimeOfDay(w.from), to: parseTimeOfDay(w.to) })) : [];
  return {
    levels: orderLevels([check.level]),
    active: [check.level.name],
    zones: zoneList.map((z) => ({ id: z.id, name: z.name, shape: preparePolygon(z.polygon) })),
    expressways: check.type === 'overspeed' ? check.expressways.map((e) => ({ line: prepareLine(e.line), widthM: e.widthM })) : [],
    route: check.type === 'corridor' ? prepareLine(check.line) : null,
    windows,
    boundaries: windows.flatMap((w) => [w.from, w.to]),
  };
}
const geometries = new WeakMap<VehicleRule, Geometry>();
function geometryOf(rule: VehicleRule): Geometry {
  let g = geometries.get(rule);
  if (!g) {
    g = prepare(rule);
    geometries.set(rule, g);
  }
  return g;
}

function newTrack(lastSeen: number): VehicleTrack {
  return { lastSeen, pos: null, stopped: false, stopSince: null, periodStart: null, figure: null, zone: null };
}

/** A selected vehicle that never reports is offline counted from the rule's first evaluation. */
export function initVehicleMemory(rule: VehicleRule, start: number): VehicleMemory {
  return { kind: 'vehicle', check: rule.check.type, vehicles: rule.vehicleId === null ? {} : { [rule.vehicleId]: newTrack(start) } };
}

function stopSpeed(check: VehicleCheck): number {
  return 'stopSpeedKmh' in check ? check.stopSpeedKmh : 5;
}

/** Road-class limit (overspeed), distance to the route (corridor) and zone of the last position. */
function derive(rule: VehicleRule, c: Geometry, v: VehicleTrack): void {
  const p = v.pos;
  if (!p) return;
  const check = rule.check;
  v.stopped = p.speedKmh < stopSpeed(check) || p.accOn === false;
  v.figure = null;
  v.zone = null;
  if (check.type === 'overspeed') {
    const onExpressway = check.defaultRoadClass === 'expressway' || c.expressways.some((e) => distanceToLineM(p.lon, p.lat, e.line) <= e.widthM);
    v.figure = onExpressway ? check.limitsKmh.expressway : check.limitsKmh.other;
  } else if (check.type === 'corridor' && c.route) v.figure = distanceToLineM(p.lon, p.lat, c.route);
  else if (check.type === 'geofence' || check.type === 'long_stop') v.zone = c.zones.find((z) => isInside(p.lon, p.lat, z.shape))?.id ?? null;
}

/**
 * Tracks are facts (last position, last seen); they carry over to the new version with their
 * figures recomputed under the new check. Stop and driving-period times carry over only when the
 * check type is unchanged (another check did not keep them).
 */
export function carryVehicleMemory(rule: VehicleRule, old: KindMemory, at: number): VehicleMemory {
  const mem = initVehicleMemory(rule, at);
  if (old.kind !== 'vehicle') return mem;
  const c = geometryOf(rule);
  for (const [vid, track] of Object.entries(old.vehicles)) {
    if (rule.vehicleId !== null && vid !== rule.vehicleId) continue;
    const v: VehicleTrack = old.check === rule.check.type ? track : { ...track, stopSince: null, periodStart: null };
    derive(rule, c, v);
    if (old.check !== rule.check.type && v.pos && v.stopped) v.stopSince = at;
    mem.vehicles[vid] = v;
  }
  return mem;
}

/**
 * The vehicle checks, one per rule, one alarm per vehicle (`vehicle:<id>`), on the last known
 * position (a position holds until the next; silence is the offline check's business):
 * - overspeed: speed above the road class limit, held `durationMs`;
 * - fatigue: driving since the end of the last rest ≥ `maxDrivingMs`, where a rest is a stop of at
 *   least `minRestMs` (shorter stops count as driving time); cleared when the rest completes;
 * - geofence: inside a no-entry zone; corridor: farther than `maxDistanceM` from the route;
 * - forbidden_hours: moving inside a local-time window (raised exactly at the window's start);
 * - long_stop: stopped ≥ `maxStopMs` outside the allowed areas; offline: no position for `timeoutMs`.
 */
const cache = new WeakMap<VehicleRule, KindOps<VehicleMemory>>();

export function vehicleOps(rule: VehicleRule): KindOps<VehicleMemory> {
  return cachedOps(cache, rule, () => build(rule));
}

function build(rule: VehicleRule): KindOps<VehicleMemory> {
  const c = geometryOf(rule);
  const check = rule.check;
  const delays = { onMs: (check.type === 'overspeed' ? check.durationMs : 0) + rule.onDelayMs, offMs: rule.offDelayMs };

  const condition = (v: VehicleTrack, t: number): { on: boolean; value: number | null; known: boolean } => {
    const p = v.pos;
    switch (check.type) {
      case 'offline':
        return { on: t - v.lastSeen >= check.timeoutMs, value: p ? p.speedKmh : null, known: true };
      case 'overspeed':
        return { on: p !== null && v.figure !== null && p.speedKmh > v.figure, value: p ? p.speedKmh : null, known: p !== null };
      case 'fatigue': {
        const resting = v.stopSince !== null && t - v.stopSince >= check.minRestMs;
        const drivingMs = v.periodStart !== null && !resting ? t - v.periodStart : 0;
        return { on: drivingMs >= check.maxDrivingMs, value: Math.round(drivingMs / 36_000) / 100, known: p !== null };
      }
      case 'geofence':
        return { on: v.zone !== null, value: p ? p.speedKmh : null, known: p !== null };
      case 'corridor':
        return { on: v.figure !== null && v.figure > check.maxDistanceM, value: v.figure === null ? null : Math.round(v.figure), known: p !== null };
      case 'forbidden_hours': {
        const local = msOfDay(t, check.utcOffsetMinutes);
        return { on: p !== null && !v.stopped && c.windows.some((w) => inDailyWindow(local, w.from, w.to)), value: p ? p.speedKmh : null, known: p !== null };
      }
      case 'long_stop': {
        const stoppedMs = v.stopSince === null ? 0 : t - v.stopSince;
        return { on: v.stopSince !== null && v.zone === null && stoppedMs >= check.maxStopMs, value: Math.round(stoppedMs / 600) / 100, known: p !== null };
      }
    }
  };

  return {
    levels: c.levels,
    onReading() {},
    onPosition(mem, p, t) {
      if (rule.vehicleId !== null && p.vehicleId !== rule.vehicleId) return;
      let v = mem.vehicles[p.vehicleId];
      if (!v) {
        v = newTrack(t);
        mem.vehicles[p.vehicleId] = v;
      }
      v.lastSeen = t;
      v.pos = { t, lat: p.lat, lon: p.lon, speedKmh: p.speedKmh, accOn: p.accOn };
      derive(rule, c, v);
      if (check.type === 'fatigue') {
        if (v.stopped) v.stopSince ??= t;
        else {
          // A stop long enough to be a rest ends the driving period; a short one does not.
          if (v.stopSince !== null && t - v.stopSince >= check.minRestMs) v.periodStart = null;
          v.stopSince = null;
          v.periodStart ??= t;
        }
      } else if (check.type === 'long_stop') v.stopSince = v.stopped ? (v.stopSince ?? t) : null;
    },
    observe(mem, t): Observation[] {
      const out: Observation[] = [];
      for (const [vid, v] of Object.entries(mem.vehicles)) {
        const cond = condition(v, t);
        out.push({ subject: vehicleSubject(vid), active: cond.on ? c.active : NO_LEVELS, hold: !cond.known, value: cond.value, pointIds: [], vehicleId: vid });
      }
      return out;
    },
    nextChange(mem, t) {
      let next: number | null = null;
      const later = (d: number | null) => {
        if (d !== null && d > t) next = earliest(next, d);
      };
      for (const v of Object.values(mem.vehicles)) {
        if (check.type === 'offline') later(v.lastSeen + check.timeoutMs);
        else if (check.type === 'fatigue' && v.periodStart !== null) {
          later(v.periodStart + check.maxDrivingMs);
          if (v.stopSince !== null) later(v.stopSince + check.minRestMs);
        } else if (check.type === 'long_stop' && v.stopSince !== null && v.zone === null) later(v.stopSince + check.maxStopMs);
        else if (check.type === 'forbidden_hours' && v.pos && !v.stopped) later(nextDailyBoundary(t, check.utcOffsetMinutes, c.boundaries));
      }
      return next;
    },
    ownsSubject: (s) => s.startsWith('vehicle:') && (rule.vehicleId === null || s === vehicleSubject(rule.vehicleId)),
    delays: () => delays,
    describe(mem, subject, t) {
      const vid = subject.slice('vehicle:'.length);
      const v = mem.vehicles[vid];
      if (!v) return subject;
      const cond = condition(v, t);
      const p = v.pos;
      const where = p ? ` at ${p.lat.toFixed(5)},${p.lon.toFixed(5)} ${fmt(p.speedKmh)} km/h` : ' (no position yet)';
      switch (check.type) {
        case 'offline':
          return `vehicle ${vid}: last position ${Math.round((t - v.lastSeen) / 1000)} s ago (timeout ${check.timeoutMs / 1000} s)`;
        case 'overspeed':
          return `vehicle ${vid}${where}, limit ${fmt(v.figure)} km/h, held ${check.durationMs / 1000} s`;
        case 'fatigue':
          return `vehicle ${vid}${where}: driving ${fmt(cond.value)} h since the last rest of ≥ ${check.minRestMs / 60_000} min (limit ${check.maxDrivingMs / 3_600_000} h)`;
        case 'geofence':
          return `vehicle ${vid}${where}${v.zone ? ` inside no-entry zone ${c.zones.find((z) => z.id === v.zone)?.name ?? v.zone}` : ''}`;
        case 'corridor':
          return `vehicle ${vid}${where}: ${fmt(cond.value)} m from the route (max ${check.maxDistanceM} m)`;
        case 'forbidden_hours':
          return `vehicle ${vid}${where} in forbidden hours ${check.windows.map((w) => `${w.from}-${w.to}`).join(', ')} (UTC${check.utcOffsetMinutes >= 0 ? '+' : ''}${check.utcOffsetMinutes / 60})`;
        case 'long_stop':
          return `vehicle ${vid}${where}: stopped ${fmt(cond.value)} min (max ${check.maxStopMs / 60_000} min)`;
      }
    },
  };
}
