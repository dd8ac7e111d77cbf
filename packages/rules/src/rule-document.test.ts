import { parseRuleDocument, RuleDocumentSchema } from '@hazardwatch/contracts';
import { describe, expect, test } from 'vitest';
import { BASE } from './test-fixtures.js';

/** One valid document per kind (the engine's view of the contract). */
const VALID: Record<string, Record<string, unknown>> = {
  threshold: { kind: 'threshold', pointId: 1, levels: [{ name: 'H', colour: 'yellow', side: 'high', setpoint: 1 }] },
  rate_of_change: { kind: 'rate_of_change', pointId: 1, windowMs: 60_000, levels: [{ name: 'R', colour: 'yellow', direction: 'rise', delta: 1 }] },
  interruption: { kind: 'interruption', pointIds: [1], timeoutMs: 30_000 },
  stuck: { kind: 'stuck', pointIds: [1], tolerance: 0, durationMs: 600_000 },
  out_of_range: { kind: 'out_of_range', points: [{ pointId: 1, rangeMin: 0, rangeMax: 100 }] },
  device_fault: { kind: 'device_fault', pointIds: [1] },
  interlock: {
    kind: 'interlock',
    triggers: [{ pointId: 1, cmp: 'at_least', value: 50 }],
    votesToTrip: 1,
    faultyInputVotes: 'trip',
    action: { pointId: 2, cmp: 'equals', value: 0 },
    responseMs: 10_000,
  },
  composite: { kind: 'composite', expression: { op: 'cond', pointId: 1, cmp: 'above', value: 1 }, durationMs: 0, level: { name: 'C', colour: 'red' } },
  tailings: { kind: 'tailings', pointIds: [1], item: { measure: 'beach_length', grades: { red: 50 } } },
  vehicle: { kind: 'vehicle', hazardSourceId: null, vehicleId: null, check: { type: 'offline', timeoutMs: 300_000 } },
};

describe('rule document', () => {
  test.each(Object.entries(VALID))('a valid %s document parses, with defaults applied', (_kind, doc) => {
    const rule = RuleDocumentSchema.parse({ ...BASE, ...doc });
    expect(rule).toMatchObject({ enabled: true, onDelayMs: 0, offDelayMs: 0, latching: false });
  });

  test.each([
    { name: 'unknown kind', doc: { kind: 'magic' }, reason: 'kind: kind must be one of threshold, rate_of_change' },
    { name: 'unknown field', doc: { ...VALID.threshold, colour: 'red' }, reason: 'Unrecognized key: "colour"' },
    { name: 'version 0', doc: { ...VALID.threshold, version: 0 }, reason: 'version: version starts at 1' },
    { name: 'no levels', doc: { ...VALID.threshold, levels: [] }, reason: 'levels: a threshold rule needs at least one level' },
    {
      name: 'levels out of order',
      doc: {
        ...VALID.threshold,
        levels: [
          { name: 'HH', colour: 'red', side: 'high', setpoint: 50 },
          { name: 'H', colour: 'red', side: 'high', setpoint: 25 },
        ],
      },
      reason: "levels.1.setpoint: high-side levels must be listed from the least to the most extreme setpoint: 'H' (25) must be above 'HH' (50)",
    },
    {
      name: 'duplicate level names',
      doc: {
        ...VALID.threshold,
        levels: [
          { name: 'H', colour: 'yellow', side: 'high', setpoint: 1 },
          { name: 'H', colour: 'red', side: 'high', setpoint: 2 },
        ],
      },
      reason: "levels.1.name: duplicate level name 'H'",
    },
    { name: 'a bad colour', doc: { ...VALID.composite, level: { name: 'C', colour: 'purple' } }, reason: 'level.colour' },
    { name: 'a negative delay', doc: { ...VALID.threshold, onDelayMs: -1 }, reason: 'onDelayMs: onDelayMs must not be negative' },
    { name: 'a fault rule as a process alarm', doc: { ...VALID.device_fault, category: 'process' }, reason: 'category: a fault rule' },
    { name: 'vehicleId on a point rule', doc: { ...VALID.threshold, vehicleId: 'v-1' }, reason: 'vehicleId: vehicleId is only for vehicle rules' },
    {
      name: 'an open polygon',
      doc: {
        ...VALID.vehicle,
        check: {
          type: 'geofence',
          zones: [
            {
              id: 'z',
              name: 'z',
              polygon: [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 1],
              ],
            },
          ],
        },
      },
      reason: 'polygon ring must be closed',
    },
    {
      name: 'a bad time of day',
      doc: { ...VALID.vehicle, check: { type: 'forbidden_hours', windows: [{ from: '25:00', to: '06:00' }] } },
      reason: 'time of day must be HH:MM',
    },
    { name: 'an unknown measure', doc: { ...VALID.tailings, item: { measure: 'mood', grades: { red: 1 } } }, reason: 'item.measure: measure must be one of' },
    { name: 'no grade at all', doc: { ...VALID.tailings, item: { measure: 'beach_length', grades: {} } }, reason: 'item.grades: set at least one grade value' },
    {
      name: 'an unknown expression op',
      doc: { ...VALID.composite, expression: { op: 'xor', args: [] } },
      reason: 'expression.op: expression op must be one of cond, and, or, not',
    },
    { name: 'an id that could widen a topic', doc: { ...VALID.threshold, id: 'a/#' }, reason: 'id: must be 1-64 characters' },
  ])('refused with a readable reason: $name', ({ doc, reason }) => {
    const res = parseRuleDocument({ ...BASE, ...doc });
    expect(res.success).toBe(false);
    if (res.success) return;
    expect(res.reasons.join('\n')).toContain(reason);
  });
});
