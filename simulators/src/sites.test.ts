import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SiteFileSchema } from '@hazardwatch/contracts';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SiteFileError } from './errors.js';
import { buildLoadSite } from './scenarios/generated-load-site.js';
import { BundledSiteSchema, bundledSite, bundledSitePath, parseSiteFile } from './site-files.js';

const sitesDir = fileURLToPath(new URL('../sites/', import.meta.url));
const files = readdirSync(sitesDir).filter((f) => /\.(ya?ml|json)$/.test(f));

describe('site files', () => {
  it('ships the three bundled sites', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const name of BundledSiteSchema.options) expect(files).toContain(bundledSitePath(name).split('/').at(-1));
  });

  it.each(files)('%s validates against SiteFileSchema', (file) => {
    const raw = parseYaml(readFileSync(`${sitesDir}${file}`, 'utf8'));
    const r = SiteFileSchema.safeParse(raw);
    expect(r.success, r.success ? '' : JSON.stringify(r.error.issues, null, 2)).toBe(true);
  });

  it('gives every point an expected interval and a unit', () => {
    for (const name of BundledSiteSchema.options)
      for (const d of bundledSite(name).devices)
        for (const p of d.points) {
          expect(p.expectedIntervalS, `${d.id}.${p.channel}`).toBeGreaterThan(0);
          expect(p.unit.length, `${d.id}.${p.channel}`).toBeGreaterThan(0);
        }
  });

  it('places the demo enterprises in their regions', () => {
    expect(bundledSite('chemical-plant').enterprise.regionCode).toBe('370321');
    expect(bundledSite('tailings-dam').enterprise.regionCode).toBe('370481');
    expect(['370400', '371000']).toContain(bundledSite('transport').enterprise.regionCode);
  });

  it('describes the 2oo3 interlock, the gas detectors and the dam', () => {
    const plant = bundledSite('chemical-plant');
    const sis = plant.devices.find((d) => d.id === 'sis-tk101');
    expect(sis?.points.filter((p) => p.kind === 'pressure')).toHaveLength(3);
    expect(sis?.points.map((p) => p.kind)).toEqual(expect.arrayContaining(['valve_state', 'interlock_bypass', 'interlock_state']));
    const gas = plant.devices.flatMap((d) => d.points).filter((p) => p.kind === 'combustible_gas');
    expect(gas.length).toBeGreaterThanOrEqual(4);
    for (const p of gas) expect([p.rangeMin, p.rangeMax, p.expectedIntervalS]).toEqual([0, 100, 1]);
    expect(plant.devices.flatMap((d) => d.points).map((p) => p.kind)).toEqual(expect.arrayContaining(['toxic_gas', 'oxygen', 'level', 'temperature']));
    const dam = bundledSite('tailings-dam');
    expect(dam.hazardSources[0]?.dam).toEqual({ grade: 4, type: 'upstream', crestElevationM: 128 });
    expect(dam.devices.flatMap((d) => d.points).map((p) => p.kind)).toEqual(
      expect.arrayContaining(['pond_level', 'beach_length', 'phreatic_depth', 'displacement', 'rainfall']),
    );
    const transport = bundledSite('transport');
    expect(transport.geofences.map((g) => g.kind).sort()).toEqual(['no_entry', 'route_corridor']);
    expect(transport.vehicles.length).toBeGreaterThanOrEqual(4);
  });

  it('generates a valid load site of N devices × C channels', () => {
    const site = buildLoadSite({ devices: 250, channels: 8, rateHz: 10 });
    expect(SiteFileSchema.safeParse(site).success).toBe(true);
    expect(site.devices).toHaveLength(250);
    expect(site.devices.flatMap((d) => d.points)).toHaveLength(2000);
    expect(SiteFileSchema.safeParse(buildLoadSite({ devices: 1, channels: 1, rateHz: 0.001 })).success).toBe(true);
  });

  it('documents a valid example in the README', () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const example = readme.split('```yaml\n')[1]?.split('```')[0] ?? '';
    expect(parseSiteFile(example, 'README.md').enterprise.id).toBe('sd-ht-demo');
  });

  it('rejects a bad site file with every issue and its path', () => {
    const bad =
      'version: 1\nenterprise: { id: "a/b", name: x, regionCode: "37" }\ndevices:\n  - id: d1\n    points: [{ channel: c, kind: pressure, unit: MPa, rangeMin: 1, rangeMax: 0 }]\n';
    try {
      parseSiteFile(bad, 'bad.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SiteFileError);
      const e = err as SiteFileError;
      expect(e.code).toBe('HW_SIM_SITE_FILE_INVALID');
      expect(e.issues.join('\n')).toMatch(/enterprise\.id/);
      expect(e.issues.join('\n')).toMatch(/enterprise\.regionCode/);
      expect(e.issues.join('\n')).toMatch(/hazardSourceId/);
    }
  });
});
