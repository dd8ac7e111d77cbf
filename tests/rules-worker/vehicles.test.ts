import type { RuleDocumentInput } from '@hazardwatch/contracts';
import { bundledSite, VEHICLES_PLAN } from '@hazardwatch/simulators';
import { describe, expect, it } from 'vitest';
import { replayScenario } from './replay.js';
import { brief } from './support.js';

const V = VEHICLES_PLAN;
const MIN = 60_000;
const site = bundledSite('transport');

function fleetRule(id: string, check: Record<string, unknown>): RuleDocumentInput {
  return { id, version: 1, enterpriseId: V.enterpriseId, hazardSourceId: null, vehicleId: null, name: id, kind: 'vehicle', check } as RuleDocumentInput;
}

describe('vehicles end to end', () => {
  it('flags the speeder, the tired driver, the no-entry zone and the terminal gone dark, exactly as a backtest does', async () => {
    const zone = site.geofences.find((g) => g.id === V.noEntryGeofenceId);
    if (!zone || zone.kind !== 'no_entry') throw new Error('no-entry zone missing from the bundled site');
    const run = await replayScenario({
      site,
      scenario: 'vehicles',
      durationS: 5 * 3600,
      rateHz: 0.1,
      rules: () => [
        fleetRule('fleet-overspeed', { type: 'overspeed', defaultRoadClass: 'expressway', durationMs: MIN }),
        fleetRule('fleet-fatigue', { type: 'fatigue', maxDrivingMs: 240 * MIN, minRestMs: 20 * MIN }),
        fleetRule('fleet-no-entry', { type: 'geofence', zones: [{ id: zone.id, name: zone.name, polygon: zone.polygon }] }),
        fleetRule('fleet-offline', { type: 'offline', timeoutMs: 10 * MIN }),
      ],
    });
    try {
      const of = (ruleId: string) => brief(run.events.filter((e) => e.ruleId === ruleId));
      expect(of('fleet-overspeed')).toEqual(['vehicle:lud-g0601 raised OVERSPEED', 'vehicle:lud-g0601 returned_to_normal OVERSPEED']);
      expect(of('fleet-no-entry')).toEqual(['vehicle:lud-g0603 raised NO_ENTRY', 'vehicle:lud-g0603 returned_to_normal NO_ENTRY']);
      expect(of('fleet-offline')).toEqual(['vehicle:lud-g0604 raised POSITIONING_OFFLINE']);
      // lud-g0602 drives 4 h with only a 12 min stop; lud-g0604's last position (moving, at 1 h) holds while it is dark.
      expect(of('fleet-fatigue')).toEqual([
        'vehicle:lud-g0602 raised FATIGUE',
        'vehicle:lud-g0602 returned_to_normal FATIGUE',
        'vehicle:lud-g0604 raised FATIGUE',
      ]);
      const atS = (ruleId: string, subject: string) => ((run.events.find((e) => e.ruleId === ruleId && e.subject === subject)?.at ?? 0) - run.startMs) / 1000;
      expect(atS('fleet-overspeed', 'vehicle:lud-g0601')).toBeGreaterThanOrEqual(V.speeding.fromS + 60);
      expect(atS('fleet-overspeed', 'vehicle:lud-g0601')).toBeLessThan(V.speeding.fromS + 60 + 30);
      expect(atS('fleet-fatigue', 'vehicle:lud-g0602')).toBeCloseTo(240 * 60, -1);
      expect(atS('fleet-offline', 'vehicle:lud-g0604')).toBeLessThan(V.offline.offlineAtS + 600);
      expect(atS('fleet-offline', 'vehicle:lud-g0604')).toBeGreaterThan(V.offline.offlineAtS + 590);

      // The same as a backtest of the stored positions, transition for transition.
      expect(run.events.map((e) => e.id).sort()).toEqual(run.expected.map((t) => t.id).sort());
    } finally {
      await run.dispose();
    }
  });
});
