import { bundledSite, TAILINGS_STORM_PLAN } from '@hazardwatch/simulators';
import { describe, expect, it } from 'vitest';
import { replayScenario } from './replay.js';
import { brief } from './support.js';

const S = TAILINGS_STORM_PLAN;
const H = 3_600_000;

describe('tailings-storm end to end', () => {
  it('grades rainfall and freeboard as the storm goes, exactly as a backtest of the stored data does', async () => {
    const run = await replayScenario({
      site: bundledSite('tailings-dam'),
      scenario: 'tailings-storm',
      durationS: 18 * 3600,
      rules: (points) => [
        {
          id: 'dam-rain',
          version: 1,
          enterpriseId: S.enterpriseId,
          hazardSourceId: S.hazardSourceId,
          name: 'rainfall (GB 51108 §8.3: rainstorm grade)',
          kind: 'tailings',
          pointIds: [points[`${S.rain.deviceId}.${S.rain.channel}`] ?? -1],
          item: {
            measure: 'rainfall',
            reading: 'increment',
            windows: [
              { windowMs: 12 * H, grades: { yellow: 30 } },
              { windowMs: 24 * H, grades: { yellow: 50 } },
            ],
          },
        },
        {
          id: 'dam-freeboard',
          version: 1,
          enterpriseId: S.enterpriseId,
          hazardSourceId: S.hazardSourceId,
          name: 'freeboard',
          kind: 'tailings',
          pointIds: [points[`${S.pond.deviceId}.${S.pond.channel}`] ?? -1],
          item: { measure: 'freeboard', crestElevationM: S.crestElevationM, grades: { yellow: 1.0, orange: 0.7, red: 0.5 } },
          deadband: 0.02,
        },
      ],
    });
    try {
      // A monitoring item is one alarm (`rule:<id>`): its points are graded, then aggregated.
      const rain = 'rule:dam-rain';
      const pond = 'rule:dam-freeboard';
      const byRule = (id: string) => brief(run.events.filter((e) => e.ruleId === id));
      // 12 h rain passes 30 mm at ≈ 8.9 h; 24 h never reaches 50 mm.
      expect(byRule('dam-rain')).toEqual([`${rain} raised yellow`]);
      const rainAtH = ((run.events.find((e) => e.ruleId === 'dam-rain')?.at ?? 0) - run.startMs) / H;
      expect(rainAtH).toBeGreaterThan(8.5);
      expect(rainAtH).toBeLessThan(9.3);
      // Freeboard 1.80 → 0.65 m at 15 h (≤ 1.0 yellow, ≤ 0.7 orange), then 0.04 m/h back above 0.72.
      expect(byRule('dam-freeboard')).toEqual([`${pond} raised yellow`, `${pond} level_changed orange`, `${pond} level_changed yellow`]);
      expect(run.events.map((e) => e.id).sort()).toEqual(run.expected.map((t) => t.id).sort());
    } finally {
      await run.dispose();
    }
  });
});
