import { describe, expect, it } from 'vitest';
import { insidePolygon, type LonLat } from './geo.js';
import { buildScenario } from './scenario.js';
import { GAS_LEAK_PLAN } from './scenarios/gas-leak.js';
import { TAILINGS_STORM_PLAN } from './scenarios/tailings-storm.js';
import { TANK_EVENT_PLAN } from './scenarios/tank-event.js';
import { VEHICLES_PLAN } from './scenarios/vehicles.js';
import type { SimMessage } from './sim-message.js';

const START = Date.UTC(2025, 6, 15, 2, 0, 0);
const SEEDS = [1, 7, 2024];

/** (tS, value) of one point through a stream. */
function series(messages: Iterable<SimMessage>, deviceId: string, channel: string, startMs: number): { tS: number; v: number }[] {
  const out: { tS: number; v: number }[] = [];
  for (const m of messages)
    if (m.family === 'telemetry' && m.deviceId === deviceId) {
      const v = m.payload.values[channel];
      if (typeof v === 'number') out.push({ tS: (m.atMs - startMs) / 1000, v });
    }
  return out;
}
const firstAtOrAbove = (s: { tS: number; v: number }[], level: number) => s.find((x) => x.v >= level)?.tS ?? null;

describe.each(SEEDS)('gas-leak (seed %i)', (seed) => {
  const s = buildScenario('gas-leak', { seed, startMs: START });
  const messages = [...s.messages()];
  const lel = (id: string) => series(messages, id, GAS_LEAK_PLAN.channel, START);

  it('the leaking detector crosses 25 then 50 %LEL, near the scripted times', () => {
    const src = lel(GAS_LEAK_PLAN.source.deviceId);
    const t25 = firstAtOrAbove(src, 25);
    const t50 = firstAtOrAbove(src, 50);
    expect(t25).not.toBeNull();
    expect(t50).not.toBeNull();
    expect(t25 as number).toBeLessThan(t50 as number);
    expect(Math.abs((t25 as number) - 168.4)).toBeLessThan(4);
    expect(Math.abs((t50 as number) - 216.8)).toBeLessThan(4);
    expect(Math.max(...src.map((x) => x.v))).toBeLessThan(70);
  });

  it('neighbours rise later: GD-202 crosses 25 after the source crosses 50, GD-204 stays below 25', () => {
    const t50 = firstAtOrAbove(lel(GAS_LEAK_PLAN.source.deviceId), 50) as number;
    const t202 = firstAtOrAbove(lel('gd-202'), 25);
    expect(t202).not.toBeNull();
    expect(t202 as number).toBeGreaterThan(t50);
    const gd204 = lel('gd-204');
    expect(Math.max(...gd204.map((x) => x.v))).toBeGreaterThan(10);
    expect(Math.max(...gd204.map((x) => x.v))).toBeLessThan(25);
  });

  it('the gas disperses back to clean air, and quiet detectors stay quiet', () => {
    for (const id of [GAS_LEAK_PLAN.source.deviceId, 'gd-202', 'gd-204']) {
      const tail = lel(id).filter((x) => x.tS > 520);
      expect(tail.length).toBeGreaterThan(60);
      expect(Math.max(...tail.map((x) => x.v))).toBeLessThan(2);
    }
    for (const id of ['gd-201', 'gd-205']) expect(Math.max(...lel(id).map((x) => x.v))).toBeLessThan(3);
    const o2 = series(messages, 'gd-221', 'o2', START).map((x) => x.v);
    expect(Math.min(...o2)).toBeGreaterThan(19.5);
    expect(Math.max(...o2)).toBeLessThan(23.5);
  });
});

describe.each(SEEDS)('tank-overpressure and interlock-fail (seed %i)', (seed) => {
  const votes = (values: Record<string, number | boolean>) =>
    TANK_EVENT_PLAN.sisChannels.transmitters.filter((c) => Number(values[c]) >= TANK_EVENT_PLAN.tripMPa).length;

  it('trips on 2oo3 and closes the inlet valve 2 s later; pressure recovers', () => {
    const s = buildScenario('tank-overpressure', { seed, startMs: START });
    const sis = [...s.messages()].filter((m) => m.family === 'telemetry' && m.deviceId === TANK_EVENT_PLAN.sisDeviceId);
    const values = sis.map((m) => ({ tS: (m.atMs - START) / 1000, v: m.family === 'telemetry' ? m.payload.values : {} }));
    const trip = values.find((x) => x.v.trip === 1);
    expect(trip?.tS).toBe(s.facts.tripAtS);
    expect(votes(trip?.v ?? {})).toBeGreaterThanOrEqual(2);
    // no earlier sample had two votes
    expect(values.filter((x) => x.tS < (trip?.tS ?? 0)).every((x) => votes(x.v) < 2)).toBe(true);
    const closed = values.find((x) => x.v.xv_inlet === 0);
    expect(closed?.tS).toBeCloseTo((trip?.tS ?? 0) + TANK_EVENT_PLAN.valveStrokeS, 6);
    expect(values.filter((x) => x.tS > (closed?.tS ?? 0)).every((x) => x.v.xv_inlet === 0 && x.v.trip === 1)).toBe(true);
    const tank = series(s.messages(), TANK_EVENT_PLAN.tankDeviceId, 'pressure', START);
    expect(Math.max(...tank.map((x) => x.v))).toBeGreaterThan(TANK_EVENT_PLAN.highAlarmMPa);
    expect(tank.at(-1)?.v).toBeLessThan(1.2);
    expect(values.every((x) => x.v.bypass === 0)).toBe(true);
  });

  it('interlock-fail: trip demanded, valve never closes, pressure keeps rising', () => {
    const s = buildScenario('interlock-fail', { seed, startMs: START });
    const sis = series(s.messages(), TANK_EVENT_PLAN.sisDeviceId, 'xv_inlet', START);
    expect(sis.every((x) => x.v === 1)).toBe(true);
    const trip = series(s.messages(), TANK_EVENT_PLAN.sisDeviceId, 'trip', START);
    expect(trip.find((x) => x.v === 1)?.tS).toBe(s.facts.tripAtS);
    expect(trip.at(-1)?.v).toBe(1);
    const pa = series(s.messages(), TANK_EVENT_PLAN.sisDeviceId, 'pt_a', START);
    expect(pa.at(-1)?.v).toBeGreaterThan(1.7);
  });
});

describe.each(SEEDS)('tailings-storm (seed %i)', (seed) => {
  const s = buildScenario('tailings-storm', { seed, startMs: START });
  const messages = [...s.messages()];
  const P = TAILINGS_STORM_PLAN;

  it('12 h rainfall passes 30 mm (rainstorm grade) in simulated time, 24 h stays under 50 mm', () => {
    const rain = series(messages, P.rain.deviceId, P.rain.channel, START);
    const window12h = (end: number) => rain.filter((x) => x.tS > end - 12 * 3600 && x.tS <= end).reduce((a, x) => a + x.v, 0);
    const max12h = Math.max(...rain.map((x) => window12h(x.tS)));
    expect(max12h).toBeGreaterThan(30);
    const passAt = rain.find((x) => window12h(x.tS) >= 30)?.tS ?? 0;
    expect(passAt / 3600).toBeGreaterThan(8);
    expect(passAt / 3600).toBeLessThan(10);
    expect(rain.reduce((a, x) => a + x.v, 0)).toBeLessThan(50);
    expect(rain.filter((x) => x.tS < P.rain.startS).every((x) => x.v === 0)).toBe(true);
  });

  it('the pond rises and freeboard and dry beach shrink', () => {
    const pond = series(messages, P.pond.deviceId, P.pond.channel, START);
    const beach = series(messages, P.beach.deviceId, P.beach.channel, START);
    const freeboard = pond.map((x) => P.crestElevationM - x.v);
    expect(freeboard[0]).toBeGreaterThan(1.7);
    expect(Math.min(...freeboard)).toBeLessThan(0.75);
    expect(Math.min(...freeboard)).toBeGreaterThan(0.5);
    expect(beach[0]?.v).toBeGreaterThan(115);
    expect(Math.min(...beach.map((x) => x.v))).toBeLessThan(62);
    const depth = series(messages, 'tz-phreatic-03', 'depth', START);
    expect(Math.min(...depth.map((x) => x.v))).toBeLessThan((depth[0]?.v ?? 0) - 0.5);
  });
});

describe.each(SEEDS)('vehicles (seed %i)', (seed) => {
  const s = buildScenario('vehicles', { seed, startMs: START });
  const messages = [...s.messages()];
  const positions = (id: string) =>
    messages.flatMap((m) => (m.family === 'position' && m.deviceId === id ? [{ tS: (m.atMs - START) / 1000, ...m.payload }] : []));

  it('the speeding vehicle exceeds 80 km/h continuously for longer than the configured time', () => {
    const p = positions(VEHICLES_PLAN.speeding.vehicleId);
    let longest = 0;
    let runStart: number | null = null;
    for (const x of p) {
      if (x.speedKmh > VEHICLES_PLAN.limits.expresswayKmh) {
        runStart ??= x.tS;
        longest = Math.max(longest, x.tS - runStart);
      } else runStart = null;
    }
    const configured = VEHICLES_PLAN.speeding.untilS - VEHICLES_PLAN.speeding.fromS;
    expect(longest).toBeGreaterThanOrEqual(configured - 1);
    expect(longest).toBeGreaterThan(300);
    const over = p.filter((x) => x.speedKmh > 80);
    expect(Math.min(...over.map((x) => x.speedKmh))).toBeGreaterThan(83);
    expect(Math.max(...over.map((x) => x.speedKmh))).toBeLessThan(87);
    expect(over.every((x) => ((x.alarmFlags ?? 0) & 2) === 2)).toBe(true);
    // nobody else speeds
    for (const id of ['lud-g0602', 'lud-g0603', 'lud-g0604', 'lud-g0605']) expect(Math.max(...positions(id).map((x) => x.speedKmh))).toBeLessThan(80);
  });

  it('the fatigue vehicle drives more than 4 h without a 20 min rest', () => {
    const p = positions(VEHICLES_PLAN.fatigue.vehicleId);
    // longest span of driving not broken by ≥ 20 min without movement
    let since: number | null = null;
    let lastMoving: number | null = null;
    let longest = 0;
    for (const x of p) {
      if (x.speedKmh > 0) {
        if (since === null || (lastMoving !== null && x.tS - lastMoving >= VEHICLES_PLAN.limits.fatigueRestS)) since = x.tS;
        lastMoving = x.tS;
        longest = Math.max(longest, x.tS - since);
      }
    }
    expect(longest).toBeGreaterThan(VEHICLES_PLAN.limits.fatigueDrivingS);
    expect(p.some((x) => ((x.alarmFlags ?? 0) & 4) === 4)).toBe(true);
    expect(positions('lud-g0605').some((x) => ((x.alarmFlags ?? 0) & 4) === 4)).toBe(false);
  });

  it('one vehicle enters the no-entry zone, at the times in the facts', () => {
    const zone = s.site.geofences.find((g) => g.id === VEHICLES_PLAN.noEntryGeofenceId);
    if (!zone || zone.kind !== 'no_entry') throw new Error('no zone');
    const ring = zone.polygon.map(([lon, lat]) => [lon, lat] as LonLat);
    const inside = (id: string) => positions(id).filter((x) => insidePolygon([x.lon, x.lat], ring));
    const intruder = inside(VEHICLES_PLAN.noEntry.vehicleId);
    expect(intruder.length).toBeGreaterThan(300);
    const window = s.facts.noEntryWindowS as { enterS: number; exitS: number };
    expect(Math.abs((intruder[0]?.tS ?? 0) - window.enterS)).toBeLessThan(3);
    expect(Math.abs((intruder.at(-1)?.tS ?? 0) - window.exitS)).toBeLessThan(3);
    for (const id of VEHICLES_PLAN.corridorVehicles) expect(inside(id)).toHaveLength(0);
  });

  it('one vehicle goes offline: no positions after its time, then a retained offline status', () => {
    const p = positions(VEHICLES_PLAN.offline.vehicleId);
    expect(p.at(-1)?.tS).toBeLessThan(VEHICLES_PLAN.offline.offlineAtS);
    expect(p.at(-1)?.tS).toBeGreaterThan(VEHICLES_PLAN.offline.offlineAtS - 2);
    const status = messages.filter((m) => m.family === 'status');
    expect(status).toHaveLength(1);
    expect(status[0]).toMatchObject({ deviceId: VEHICLES_PLAN.offline.vehicleId, retain: true, payload: { online: false } });
    expect(((status[0]?.atMs ?? 0) - START) / 1000).toBe(VEHICLES_PLAN.offline.statusOfflineAtS);
  });

  it('parked vehicles report once a minute with ACC off; moving ones at the configured rate', () => {
    const c = positions(VEHICLES_PLAN.noEntry.vehicleId).filter((x) => x.tS < VEHICLES_PLAN.noEntry.departS);
    expect(c.every((x) => x.accOn === false && x.speedKmh === 0)).toBe(true);
    expect(c.length).toBe(60);
    const slow = buildScenario('vehicles', { seed, startMs: START, rateHz: 0.2 });
    expect(slow.expected().positions).toBeLessThan(messages.length / 4);
  });
});
