import type { SiteFile } from '@hazardwatch/contracts';

/** Ids of the generated load-test site. */
export const LOAD_SITE_IDS = {
  enterpriseId: 'hw-load',
  hazardSourceId: 'hs-load',
  /** Device `i` (0-based) is `ld-` + i zero-padded to 5 digits: `ld-00000`, `ld-00001`, … */
  devicePrefix: 'ld-',
  /** Channel `j` is `c` + j: `c0` … `c7` for a dense load. */
  channelPrefix: 'c',
  rangeMin: 0,
  rangeMax: 1000,
} as const;

/** Device id of the i-th load device (0-based). */
export function loadDeviceId(i: number): string {
  return `${LOAD_SITE_IDS.devicePrefix}${String(i).padStart(5, '0')}`;
}

/**
 * The site of the `load` scenario, generated: `devices` devices with `channels`
 * channels each (kind `other`, range 0-1000), all on one process unit.
 */
export function buildLoadSite(opts: { devices: number; channels: number; rateHz: number }): SiteFile {
  const points = Array.from({ length: opts.channels }, (_, j) => ({
    channel: `${LOAD_SITE_IDS.channelPrefix}${j}`,
    kind: 'other' as const,
    unit: '',
    rangeMin: LOAD_SITE_IDS.rangeMin,
    rangeMax: LOAD_SITE_IDS.rangeMax,
    expectedIntervalS: Math.min(7 * 86400, 1 / opts.rateHz),
  }));
  return {
    version: 1,
    enterprise: { id: LOAD_SITE_IDS.enterpriseId, name: 'hazardwatch load test', regionCode: '370321' },
    hazardSources: [{ id: LOAD_SITE_IDS.hazardSourceId, name: 'load test unit', kind: 'process_unit', chemicals: [], peopleWithin500m: 0 }],
    devices: Array.from({ length: opts.devices }, (_, i) => ({
      id: loadDeviceId(i),
      hazardSourceId: LOAD_SITE_IDS.hazardSourceId,
      points: points.map((p) => ({ ...p })),
    })),
    vehicles: [],
    geofences: [],
  };
}
