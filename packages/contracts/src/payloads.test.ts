import { describe, expect, it } from 'vitest';
import { EvaluateJobSchema } from './evaluate-job.js';
import { PositionPayloadSchema } from './position.js';
import { EnterpriseSchema, GeofenceSchema, HazardSourceSchema, MeasuringPointSchema } from './registry.js';
import { SiteFileSchema } from './site-file.js';
import { StatusPayloadSchema } from './status.js';
import { TelemetryPayloadSchema } from './telemetry.js';
import { ingestSubscriptions, TopicSchema, topicFor } from './topics.js';

const T = Date.UTC(2026, 10, 23, 8, 0, 0);

type Case = [name: string, input: unknown, valid: boolean];

const table = (schema: { safeParse(v: unknown): { success: boolean } }, cases: Case[]) =>
  it.each(cases)('%s', (_name, input, valid) => {
    expect(schema.safeParse(input).success).toBe(valid);
  });

describe('topics', () => {
  table(TopicSchema, [
    ['telemetry topic', 'hw/v1/ent-1/dev-1/telemetry', true],
    ['position topic', 'hw/v1/ent-1/truck.7/position', true],
    ['status topic', 'hw/v1/ent-1/dev-1/status', true],
    ['wrong root', 'hw/v2/ent-1/dev-1/telemetry', false],
    ['too short', 'hw/v1/ent-1/telemetry', false],
    ['too long', 'hw/v1/ent-1/dev-1/telemetry/x', false],
    ['unknown family', 'hw/v1/ent-1/dev-1/weather', false],
    ['wildcard in id', 'hw/v1/ent-1/+/telemetry', false],
    ['empty id', 'hw/v1//dev-1/telemetry', false],
    ['id with $', 'hw/v1/$SYS/dev-1/telemetry', false],
  ]);

  it('builds topics and the shared subscription the parser accepts', () => {
    expect(TopicSchema.parse(topicFor('e1', 'd1', 'telemetry'))).toEqual({ enterpriseId: 'e1', deviceId: 'd1', family: 'telemetry' });
    expect(ingestSubscriptions('ingest', 't1/')).toEqual(['$share/ingest/t1/hw/v1/#']);
    expect(ingestSubscriptions(undefined)).toEqual(['hw/v1/#']);
  });
});

describe('telemetry payloads', () => {
  table(TelemetryPayloadSchema, [
    ['one sample, epoch ms', { ts: T, values: { lel: 12.5 } }, true],
    ['ISO timestamp with zone', { ts: '2026-11-23T08:00:00.000+08:00', values: { lel: 1 } }, true],
    ['boolean channel', { ts: T, values: { valve: true } }, true],
    [
      'array of samples',
      [
        { ts: T, values: { a: 1 } },
        { ts: T + 1000, seq: 2, values: { a: 2 }, quality: { a: 'fault' } },
      ],
      true,
    ],
    ['quality maintenance', { ts: T, values: { a: 1 }, quality: { a: 'maintenance' } }, true],
    ['no values', { ts: T, values: {} }, false],
    ['string value', { ts: T, values: { a: '1' } }, false],
    ['NaN is not JSON but guard anyway', { ts: T, values: { a: Number.NaN } }, false],
    ['Infinity', { ts: T, values: { a: Number.POSITIVE_INFINITY } }, false],
    ['unknown quality', { ts: T, values: { a: 1 }, quality: { a: 'bad' } }, false],
    ['ISO without zone', { ts: '2026-11-23T08:00:00', values: { a: 1 } }, false],
    ['seconds instead of ms (before 2000)', { ts: 1_795_470_000, values: { a: 1 } }, false],
    ['fractional ms', { ts: T + 0.5, values: { a: 1 } }, false],
    ['extra field', { ts: T, values: { a: 1 }, extra: true }, false],
    ['bad channel name', { ts: T, values: { 'a/b': 1 } }, false],
    ['empty array', [], false],
    ['negative seq', { ts: T, seq: -1, values: { a: 1 } }, false],
    ['not an object', 42, false],
  ]);

  it('normalises one sample to an array and ISO time to epoch ms', () => {
    expect(TelemetryPayloadSchema.parse({ ts: '2026-11-23T08:00:00Z', values: { a: 1 } })).toEqual([{ ts: T, values: { a: 1 } }]);
  });
});

describe('position payloads', () => {
  const ok = { ts: T, lat: 36.8, lon: 118.05, speedKmh: 62, heading: 90 };
  table(PositionPayloadSchema, [
    ['minimal', ok, true],
    ['all fields', { ...ok, altitudeM: 50, accOn: true, alarmFlags: 0b10 }, true],
    ['latitude out of range', { ...ok, lat: 91 }, false],
    ['longitude out of range', { ...ok, lon: -181 }, false],
    ['negative speed', { ...ok, speedKmh: -1 }, false],
    ['heading over 360', { ...ok, heading: 361 }, false],
    ['alarm flags beyond a DWORD', { ...ok, alarmFlags: 2 ** 32 }, false],
    ['missing speed', { ts: T, lat: 1, lon: 1, heading: 0 }, false],
  ]);
});

describe('status payloads', () => {
  table(StatusPayloadSchema, [
    ['online', { online: true }, true],
    ['last will', { online: false }, true],
    ['with details', { online: true, ts: T, firmware: '1.0.3', batteryPct: 80, signalDbm: -70 }, true],
    ['online as string', { online: 'yes' }, false],
    ['battery over 100', { online: true, batteryPct: 120 }, false],
  ]);
});

describe('registry entities', () => {
  table(EnterpriseSchema, [
    ['enterprise', { id: 'e1', name: 'Plant', regionCode: '370321' }, true],
    ['region code of 4 digits', { id: 'e1', name: 'Plant', regionCode: '3703' }, false],
    ['bad email', { id: 'e1', name: 'Plant', regionCode: '370321', contact: { email: 'nope' } }, false],
  ]);
  table(HazardSourceSchema, [
    ['tank farm', { id: 'hs1', enterpriseId: 'e1', name: 'Tanks', kind: 'tank_farm' }, true],
    [
      'tailings dam with design data',
      { id: 'd1', enterpriseId: 'e1', name: 'Dam', kind: 'tailings_dam', dam: { grade: 4, type: 'upstream', crestElevationM: 128 } },
      true,
    ],
    ['tailings dam without design data', { id: 'd1', enterpriseId: 'e1', name: 'Dam', kind: 'tailings_dam' }, false],
    ['dam grade 6', { id: 'd1', enterpriseId: 'e1', name: 'Dam', kind: 'tailings_dam', dam: { grade: 6, type: 'upstream', crestElevationM: 1 } }, false],
    [
      'zero critical quantity',
      { id: 'hs1', enterpriseId: 'e1', name: 'T', kind: 'warehouse', chemicals: [{ name: 'x', quantityT: 1, criticalQuantityT: 0, beta: 1 }] },
      false,
    ],
  ]);
  table(MeasuringPointSchema, [
    ['point', { deviceId: 'd1', channel: 'lel', hazardSourceId: 'hs1', kind: 'combustible_gas', unit: '%LEL', rangeMin: 0, rangeMax: 100 }, true],
    ['inverted range', { deviceId: 'd1', channel: 'lel', hazardSourceId: 'hs1', kind: 'combustible_gas', unit: '%LEL', rangeMin: 100, rangeMax: 0 }, false],
    ['unknown kind', { deviceId: 'd1', channel: 'x', hazardSourceId: 'hs1', kind: 'vibes', unit: '', rangeMin: 0, rangeMax: 1 }, false],
  ]);
  table(GeofenceSchema, [
    [
      'closed no-entry polygon',
      {
        id: 'g1',
        enterpriseId: 'e1',
        name: 'zone',
        kind: 'no_entry',
        polygon: [
          [118, 36],
          [118.1, 36],
          [118.1, 36.1],
          [118, 36],
        ],
      },
      true,
    ],
    [
      'open polygon',
      {
        id: 'g1',
        enterpriseId: 'e1',
        name: 'zone',
        kind: 'no_entry',
        polygon: [
          [118, 36],
          [118.1, 36],
          [118.1, 36.1],
          [118, 36.1],
        ],
      },
      false,
    ],
    [
      'corridor',
      {
        id: 'g2',
        enterpriseId: 'e1',
        name: 'route',
        kind: 'route_corridor',
        line: [
          [118, 36],
          [118.2, 36.1],
        ],
        corridorWidthM: 500,
      },
      true,
    ],
    [
      'corridor without width',
      {
        id: 'g2',
        enterpriseId: 'e1',
        name: 'route',
        kind: 'route_corridor',
        line: [
          [118, 36],
          [118.2, 36.1],
        ],
      },
      false,
    ],
  ]);
});

describe('site file', () => {
  const site = {
    version: 1,
    enterprise: { id: 'e1', name: 'Plant', regionCode: '370321' },
    hazardSources: [{ id: 'hs1', name: 'Tanks', kind: 'tank_farm' }],
    devices: [{ id: 'd1', hazardSourceId: 'hs1', points: [{ channel: 'p', kind: 'pressure', unit: 'MPa', rangeMin: 0, rangeMax: 2.5 }] }],
  };
  table(SiteFileSchema, [
    ['minimal site', site, true],
    ['point on an unknown hazard source', { ...site, devices: [{ id: 'd1', hazardSourceId: 'nope', points: site.devices[0]?.points }] }, false],
    ['point without hazard source', { ...site, devices: [{ id: 'd1', points: site.devices[0]?.points }] }, false],
    [
      'duplicate channel',
      { ...site, devices: [{ id: 'd1', hazardSourceId: 'hs1', points: [...(site.devices[0]?.points ?? []), ...(site.devices[0]?.points ?? [])] }] },
      false,
    ],
    ['bad geofence', { ...site, geofences: [{ id: 'g', name: 'z', kind: 'no_entry', polygon: [] }] }, false],
    ['wrong version', { ...site, version: 2 }, false],
  ]);
});

describe('evaluate job', () => {
  const job = { v: 1, partition: 3, batchId: 'abc-1-3', committedAt: T, readings: [{ pointId: 1, ts: T, value: 2, quality: 'good' }], positions: [] };
  table(EvaluateJobSchema, [
    ['job', job, true],
    ['statuses default to empty', job, true],
    ['negative partition', { ...job, partition: -1 }, false],
    ['point id 0', { ...job, readings: [{ pointId: 0, ts: T, value: 2, quality: 'good' }] }, false],
    ['unknown version', { ...job, v: 2 }, false],
  ]);
});
