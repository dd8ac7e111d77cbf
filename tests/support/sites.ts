import type { SiteFile } from '@hazardwatch/contracts';

/** A small plant: two hazard sources, three devices, a vehicle. Used by ingest tests. */
export function smallPlant(id = 'ent-small', regionCode = '370321'): SiteFile {
  return {
    version: 1,
    enterprise: { id, name: 'Small plant', regionCode },
    hazardSources: [
      { id: `${id}-tanks`, name: 'Tank farm', kind: 'tank_farm', chemicals: [], peopleWithin500m: 0 },
      { id: `${id}-unit`, name: 'Process unit', kind: 'process_unit', chemicals: [], peopleWithin500m: 0 },
    ],
    devices: [
      {
        id: `${id}-rtu1`,
        hazardSourceId: `${id}-tanks`,
        points: Array.from({ length: 8 }, (_, i) => ({ channel: `c${i}`, kind: 'pressure' as const, unit: 'MPa', rangeMin: 0, rangeMax: 10 })),
      },
      {
        id: `${id}-gas1`,
        hazardSourceId: `${id}-unit`,
        points: [
          { channel: 'lel', kind: 'combustible_gas' as const, unit: '%LEL', rangeMin: 0, rangeMax: 100 },
          { channel: 'valve', kind: 'valve_state' as const, unit: 'state', rangeMin: 0, rangeMax: 1 },
        ],
      },
      {
        id: `${id}-gas2`,
        hazardSourceId: `${id}-unit`,
        points: [{ channel: 'lel', kind: 'combustible_gas' as const, unit: '%LEL', rangeMin: 0, rangeMax: 100 }],
      },
    ],
    vehicles: [{ id: `${id}-truck1`, plate: '鲁C12345' }],
    geofences: [],
  };
}
