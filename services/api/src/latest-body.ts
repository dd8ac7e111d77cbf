import { type DataScope, latestOfPointsJson, latestRegistryOf, latestValuesOf, type Pool } from '@hazardwatch/db';

type LatestOf = { enterpriseId: string } | { hazardSourceId: string };
type Prefixes = Map<number, string>;

const QUALITY_JSON: Record<string, string> = { '': 'null', '0': '"good"', '1': '"fault"', '2': '"maintenance"' };

/**
 * The body of `GET /telemetry/latest`, `{"items":[…]}`, as `latestOfPoints` would give it.
 *
 * Of the 1.6 MB a 10,000-point answer weighs, most is registry text (ids, names, units) that
 * rarely changes; producing it on every request, in Node or in PostgreSQL, cost more than
 * the rest of the request (docs/benchmarks.md). So each item's registry part is kept here as
 * ready JSON, per (scope, enterprise or hazard source), and each request fetches only the
 * changing part (`latestValuesOf`: time, value, quality per point: a backward index probe each)
 * together with the fingerprint of the registry rows it covers. A different fingerprint (a
 * point added, removed or edited) rebuilds the entry first, so an answer never mixes registry
 * states. The caller checks that the enterprise or hazard source is in scope; the key holds the
 * scope anyway, so no entry is ever shared between scopes.
 */
export class LatestBodies {
  private readonly entries = new Map<string, { fingerprint: string; prefixes: Prefixes }>();
  constructor(
    private readonly pool: Pool,
    private readonly maxEntries = 32,
  ) {}

  async body(scope: DataScope, of: LatestOf): Promise<string> {
    const key = JSON.stringify([scope, of]);
    for (let attempt = 0; attempt < 2; attempt++) {
      const { fingerprint, values } = await latestValuesOf(this.pool, scope, of);
      let entry = this.entries.get(key);
      if (entry?.fingerprint !== fingerprint) {
        const reg = await latestRegistryOf(this.pool, scope, of);
        entry = { fingerprint: reg.fingerprint, prefixes: prefixesOf(reg.points) };
        this.remember(key, entry);
        // The registry changed between the two reads: read the values again.
        if (reg.fingerprint !== fingerprint) continue;
      }
      const body = splice(values, entry.prefixes);
      if (body !== null) return body;
    }
    // Registry edits racing every attempt: the one-query answer is consistent by itself.
    return `{"items":${await latestOfPointsJson(this.pool, scope, of)}}`;
  }

  private remember(key: string, entry: { fingerprint: string; prefixes: Prefixes }): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(k);
    }
  }
}

function prefixesOf(
  points: Array<{ pointId: number; deviceId: string; channel: string; hazardSourceId: string; name: string | null; kind: string; unit: string }>,
): Prefixes {
  const s = JSON.stringify;
  const out: Prefixes = new Map();
  for (const p of points)
    out.set(
      p.pointId,
      `{"pointId":${p.pointId},"deviceId":${s(p.deviceId)},"channel":${s(p.channel)},"hazardSourceId":${s(p.hazardSourceId)},"name":${s(p.name)},"kind":${s(p.kind)},"unit":${s(p.unit)}`,
    );
  return out;
}

/** `id,ts,value,quality;…` joined to the kept registry parts; null when a point is not among them. */
export function splice(values: string, prefixes: Prefixes): string | null {
  if (values === '') return '{"items":[]}';
  const parts: string[] = [];
  for (const row of values.split(';')) {
    const [id = '', ts = '', value = '', quality = ''] = row.split(',');
    const prefix = prefixes.get(Number(id));
    if (prefix === undefined) return null;
    const v = value === '' ? Number.NaN : Number(value);
    parts.push(`${prefix},"ts":${ts === '' ? 'null' : ts},"value":${Number.isFinite(v) ? String(v) : 'null'},"quality":${QUALITY_JSON[quality] ?? '"fault"'}}`);
  }
  return `{"items":[${parts.join(',')}]}`;
}
