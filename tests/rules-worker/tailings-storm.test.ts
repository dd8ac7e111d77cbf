import { bundledSite, TAILINGS_STORM_PLAN } from '@hazardwatch/simulators';
import { describe, expect, it } from 'vitest';
import { replayScenario } from './replay.js';
import { brief } from './support.js';

const S = TAILINGS_STORM_PLAN;
const H = 3_600_000;

describe('tailings-storm end to end', () => {
  it('grades rainfall, freeboard and the whole dam as the storm goes, exactly as a backtest of the stored data does', async () => {
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
        {
          // The whole dam in one rule (GB 39496-2020 §5.5.4): an alarm per item and the dam level,
          // the worst item raised by the default item-count policy (4 blue → yellow, 3 yellow →
          // orange, 2 orange → red). The pond gauge is read by this rule and by dam-freeboard.
          id: 'dam',
          version: 1,
          enterpriseId: S.enterpriseId,
          hazardSourceId: S.hazardSourceId,
          name: 'dam level',
          kind: 'tailings_dam',
          items: [
            {
              key: 'rainfall',
              pointIds: [points[`${S.rain.deviceId}.${S.rain.channel}`] ?? -1],
              item: {
                measure: 'rainfall',
                windows: [
                  { windowMs: 12 * H, grades: { blue: 10, yellow: 30 } },
                  { windowMs: 24 * H, grades: { yellow: 50 } },
                ],
              },
            },
            {
              key: 'freeboard',
              pointIds: [points[`${S.pond.deviceId}.${S.pond.channel}`] ?? -1],
              item: { measure: 'freeboard', crestElevationM: S.crestElevationM, grades: { blue: 1.5, yellow: 1.0, orange: 0.7, red: 0.5 } },
              deadband: 0.02,
            },
            {
              key: 'beach',
              pointIds: [points[`${S.beach.deviceId}.${S.beach.channel}`] ?? -1],
              item: { measure: 'beach_length', grades: { blue: 110, yellow: 85, orange: 65 } },
              deadband: 1,
            },
            {
              key: 'phreatic',
              pointIds: Object.keys(S.phreatic.baseDepthM).map((d) => points[`${d}.${S.phreatic.channel}`] ?? -1),
              item: { measure: 'phreatic_depth', grades: { blue: 7.7 } },
              deadband: 0.05,
            },
          ],
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

      // The dam: rain 12 h ≥ 10 mm (blue) at ≈ 6.2 h, beach ≤ 110 m 6.8 h, freeboard ≤ 1.5 m 7.5 h, the
      // shallowest phreatic point ≤ 7.7 m 8.5 h: 4 blue items → yellow. Rain ≥ 30 mm 9 h, beach ≤ 85 m
      // 9.5 h, freeboard ≤ 1.0 m 10.3 h: 3 yellow items → orange. Beach ≤ 65 m 11.8 h, freeboard
      // ≤ 0.7 m 12.8 h: 2 orange items → red. The decant brings freeboard back above 0.72 m at 16.8 h:
      // one orange item left → orange. Item and dam alarms are separate subjects of the one rule.
      const dam = run.events.filter((e) => e.ruleId === 'dam');
      expect(brief(dam.filter((e) => e.subject === 'rule:dam'))).toEqual([
        'rule:dam raised blue',
        'rule:dam level_changed yellow',
        'rule:dam level_changed orange',
        'rule:dam level_changed red',
        'rule:dam level_changed orange',
      ]);
      const damMessages = dam.filter((e) => e.subject === 'rule:dam').map((e) => e.message);
      expect(damMessages[1]).toContain('4 items at blue or worse → yellow; items blue rainfall, freeboard, beach, phreatic');
      expect(damMessages[2]).toContain('3 items at yellow or worse → orange; items yellow rainfall, freeboard, beach; blue phreatic');
      expect(damMessages[3]).toContain('2 items at orange or worse → red; items orange freeboard, beach; yellow rainfall; blue phreatic');
      const item = (key: string) => brief(dam.filter((e) => e.subject === `rule:dam:${key}`));
      expect(item('rainfall')).toEqual(['rule:dam:rainfall raised blue', 'rule:dam:rainfall level_changed yellow']);
      expect(item('beach')).toEqual(['rule:dam:beach raised blue', 'rule:dam:beach level_changed yellow', 'rule:dam:beach level_changed orange']);
      expect(item('freeboard')).toEqual([
        'rule:dam:freeboard raised blue',
        'rule:dam:freeboard level_changed yellow',
        'rule:dam:freeboard level_changed orange',
        'rule:dam:freeboard level_changed yellow',
      ]);
      expect(item('phreatic')).toEqual(['rule:dam:phreatic raised blue']);
      // Each dam step at the instant of the item change that caused it.
      const at = (subject: string, level: string) => dam.find((e) => e.subject === subject && e.level === level)?.at;
      expect(at('rule:dam', 'yellow')).toBe(at('rule:dam:phreatic', 'blue'));
      expect(at('rule:dam', 'orange')).toBe(at('rule:dam:freeboard', 'yellow'));
      expect(at('rule:dam', 'red')).toBe(at('rule:dam:freeboard', 'orange'));
      expect(((at('rule:dam', 'red') ?? 0) - run.startMs) / H).toBeCloseTo(12.8, 0);

      expect(run.events.map((e) => e.id).sort()).toEqual(run.expected.map((t) => t.id).sort());
    } finally {
      await run.dispose();
    }
  });
});
