import { type DataScope, latestFingerprintOf, latestOfPointIds, latestOfPointsJson, latestRegistryOf, latestValuesOf, type Pool } from '@hazardwatch/db';
import { atMostEvery, counter, type Logger } from '@hazardwatch/observability';
import { type LatestSlots, latestText, latestWriterLive, type Redis, readLatestSlots, setLatestIfNewer } from '@hazardwatch/queue';
import type { RegistryWatch } from './registry-watch.js';

type LatestOf = { enterpriseId: string } | { hazardSourceId: string };
/** `full`: registry fields and values per point; `values`: pointId, ts, value, quality only. */
export type LatestView = 'full' | 'values';
type Prefixes = Map<number, string>;
/** A kept registry part: per point (in id order) the JSON of its item up to the value fields. */
interface Entry {
  fingerprint: string;
  /**
   * The registry generation (registry-watch.ts) at which `fingerprint` was last confirmed,
   * taken before the query that confirmed it; null when no watch was listening.
   */
  generation: number | null;
  prefixes: Prefixes;
  ids: number[];
  /**
   * For answers built from Redis's bytes, made on first use (not on the PostgreSQL-only path):
   * `prefixes` in `ids` order as UTF-8 (full view), and `{"pointId":…` per point (values view).
   */
  bytes?: { heads: Buffer[]; ids: Buffer[] };
}

function bytesOf(entry: Entry): { heads: Buffer[]; ids: Buffer[] } {
  entry.bytes ??= {
    heads: entry.ids.map((id) => Buffer.from(entry.prefixes.get(id) ?? '', 'utf8')),
    ids: entry.ids.map((id) => Buffer.from(`{"pointId":${id}`, 'latin1')),
  };
  return entry.bytes;
}

const noop = (): void => undefined;

const QUALITY_JSON: Record<string, string> = { '': 'null', '0': '"good"', '1': '"fault"', '2': '"maintenance"' };

/**
 * Where the latest values come from first: the Redis copy ingest keeps after its
 * acknowledgements (packages/queue latest-values.ts), under the deployment's `QUEUE_PREFIX`.
 * The connection should be one that never queues while Redis is away
 * (`enableOfflineQueue: false`), so an outage fails a read at once.
 */
export interface LatestValuesSource {
  redis: Redis;
  prefix: string;
  /** Longest wait for Redis per request before PostgreSQL answers alone (default 100 ms). */
  timeoutMs?: number;
}

/** After Redis failed, how long requests go straight to PostgreSQL before trying it again. */
const REDIS_BACKOFF_MS = 5_000;

/**
 * The body of `GET /telemetry/latest`, `{"items":[…]}`, as `latestOfPoints` would give it.
 *
 * Of the 1.6 MB a 10,000-point answer weighs, most is registry text (ids, names, units) that
 * rarely changes; producing it on every request, in Node or in PostgreSQL, cost more than
 * the rest of the request (docs/benchmarks.md). So each item's registry part is kept here as
 * ready JSON, per (scope, enterprise or hazard source), and each request fetches only the
 * changing part (time, value, quality per point) and the fingerprint of the registry rows it
 * covers. A different fingerprint (a point added, removed or edited) rebuilds the entry first,
 * so an answer never mixes registry states. The caller checks that the enterprise or hazard
 * source is in scope; the key holds the scope anyway, so no entry is ever shared between scopes.
 *
 * With a `LatestValuesSource` the values come from Redis (one GETRANGE per 4,096 point ids), and
 * only the points Redis lacks (flushed, restarted, never written) are probed in `readings`;
 * what those probes found is written back, each only if newer than what Redis has by then, so
 * the next request finds it. Redis failing or slower than `timeoutMs` → the PostgreSQL path
 * alone, as without a source.
 */
export class LatestBodies {
  private readonly entries = new Map<string, Entry>();
  private readonly answerBuffers = new AnswerBuffers();
  private redisSkipUntil = 0;
  private readonly warnNow = atMostEvery(60_000);
  private readonly noWriterLogNow = atMostEvery(60_000);
  private readonly noWriterAnswers = counter(
    'hazardwatch_api_latest_values_no_writer_total',
    'Latest-values requests answered from PostgreSQL because no ingest writer vouched for the Redis copy',
  );
  private readonly fallbacks = counter(
    'hazardwatch_api_latest_values_fallbacks_total',
    'Latest-values requests answered from PostgreSQL alone because Redis failed or was slow',
  );
  constructor(
    private readonly pool: Pool,
    private readonly opts: {
      source?: LatestValuesSource | undefined;
      /**
       * Registry change notifications: while the kept entry's generation is current, requests
       * answered from Redis skip the fingerprint query (their only PostgreSQL round trip here).
       */
      registry?: Pick<RegistryWatch, 'generation'> | undefined;
      log?: Logger | undefined;
      maxEntries?: number;
    } = {},
  ) {}

  /** The body alone, for callers that do not hand its buffer back (it is then left to the garbage collector). */
  async body(scope: DataScope, of: LatestOf, view: LatestView = 'full'): Promise<string | Buffer> {
    return (await this.answer(scope, of, view)).body;
  }

  /** The body, and `done` to call once the response carrying it has been written (its buffer is then reused). */
  async answer(scope: DataScope, of: LatestOf, view: LatestView = 'full'): Promise<LatestAnswer> {
    const key = JSON.stringify([scope, of]);
    const source = this.opts.source;
    if (source && Date.now() >= this.redisSkipUntil) {
      const fromRedis = await this.fromRedis(source, key, scope, of, view);
      if (fromRedis !== null) return fromRedis;
    }
    return { body: await this.fromPostgres(key, scope, of, view), done: noop };
  }

  private async fromPostgres(key: string, scope: DataScope, of: LatestOf, view: LatestView): Promise<string> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const { fingerprint, values } = await latestValuesOf(this.pool, scope, of);
      // The values view needs no registry text: the ids come with the values, in scope.
      if (view === 'values') return valuesBody(values);
      const entry = await this.entry(key, scope, of, fingerprint, null);
      if (entry === null) continue;
      const body = splice(values, entry.prefixes);
      if (body !== null) return body;
    }
    // Registry edits racing every attempt: the one-query answer is consistent by itself.
    return `{"items":${await latestOfPointsJson(this.pool, scope, of)}}`;
  }

  /**
   * The kept entry matching `fingerprint`, rebuilt if needed; null when the registry changed
   * meanwhile. `generation` was taken before `fingerprint` was read: a change after that moved it on.
   */
  private async entry(key: string, scope: DataScope, of: LatestOf, fingerprint: string, generation: number | null): Promise<Entry | null> {
    const entry = this.entries.get(key);
    if (entry?.fingerprint === fingerprint) {
      entry.generation = generation;
      return entry;
    }
    const reg = await latestRegistryOf(this.pool, scope, of);
    const prefixes = prefixesOf(reg.points);
    const fresh: Entry = { fingerprint: reg.fingerprint, generation, prefixes, ids: [...prefixes.keys()] };
    this.remember(key, fresh);
    return reg.fingerprint === fingerprint ? fresh : null;
  }

  /** The answer with values from Redis (and PostgreSQL for what it lacks); null → PostgreSQL alone. */
  private async fromRedis(source: LatestValuesSource, key: string, scope: DataScope, of: LatestOf, view: LatestView): Promise<LatestAnswer | null> {
    // The fingerprint query and the Redis read of the kept entry's points run together; a
    // different fingerprint means the points changed: rebuild, then read Redis again. No
    // fingerprint query while the registry watch vouches that nothing changed since the kept
    // entry was confirmed (a change reaches the watch a few milliseconds after its commit).
    const kept = this.entries.get(key);
    const generation = this.opts.registry?.generation() ?? null;
    const read = (ids: number[]) => withTimeout(readLatestSlots(source.redis, source.prefix, ids), source.timeoutMs ?? 100);
    const early = kept ? read(kept.ids) : undefined;
    early?.catch(() => undefined);
    // Only a copy whose writer vouches for it (packages/queue `markLatestWriter`) is used.
    const live = withTimeout(latestWriterLive(source.redis, source.prefix), source.timeoutMs ?? 100);
    live.catch(() => undefined);
    let entry: Entry | null = generation !== null && kept?.generation === generation ? kept : null;
    for (let attempt = 0; attempt < 2 && entry === null; attempt++)
      entry = await this.entry(key, scope, of, await latestFingerprintOf(this.pool, scope, of), generation);
    if (entry === null) return null;
    try {
      if (!(await live)) {
        this.noWriter();
        return null;
      }
    } catch (err) {
      this.redisFailed(err);
      return null;
    }
    const { ids } = entry;
    let slots: LatestSlots;
    try {
      slots = await (entry === kept && early ? early : read(ids));
    } catch (err) {
      this.redisFailed(err);
      return null;
    }
    const missing: number[] = [];
    for (let i = 0; i < ids.length; i++) if ((slots.text[i] ?? -1) < 0) missing.push(i);
    // Points Redis lacks: from PostgreSQL.
    const probedText = new Map<number, string>();
    if (missing.length > 0) {
      const probed = await latestOfPointIds(
        this.pool,
        missing.map((i) => ids[i] ?? 0),
      );
      const backfill = probed.map((r) => ({ pointId: r.pointId, ts: r.ts, text: latestText(r.ts, r.value, r.quality) }));
      for (const b of backfill) probedText.set(b.pointId, b.text);
      // Put them back, each only if newer than what Redis has by then; a failure only costs the next request a probe.
      setLatestIfNewer(source.redis, source.prefix, backfill).catch((err: unknown) => this.redisFailed(err));
    }
    const bytes = bytesOf(entry);
    return answerBytes(view === 'full' ? bytes.heads : bytes.ids, ids, slots, probedText, this.answerBuffers);
  }

  /** No ingest vouches for the copy (not writing it, failing, or stopped): PostgreSQL answers, nothing is written back. */
  private noWriter(): void {
    this.noWriterAnswers.inc();
    if (!this.noWriterLogNow()) return;
    this.opts.log?.info('latest values: no live writer marks the Redis copy (is LATEST_VALUES_REDIS set for ingest?); PostgreSQL answers');
  }

  private redisFailed(err: unknown): void {
    this.fallbacks.inc();
    this.redisSkipUntil = Date.now() + REDIS_BACKOFF_MS;
    if (!this.warnNow()) return;
    this.opts.log?.warn({ err }, 'latest values: Redis did not answer; PostgreSQL answers alone for a while');
  }

  private remember(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (const k of this.entries.keys()) {
      if (this.entries.size <= (this.opts.maxEntries ?? 32)) break;
      this.entries.delete(k);
    }
  }
}

/**
 * Buffers for answers built from Redis, handed back once their response has been written
 * (`LatestAnswer.done`). A fresh 1.6 MB Buffer per request is external memory, and V8 answers its
 * growth with full collections: with the Redis replies also as Buffers that was ~60 full
 * collections per 500 requests and the route's whole p99 tail (docs/benchmarks.md). A few
 * are kept, enough for the requests one process answers at once; beyond that a buffer is
 * simply left to the garbage collector.
 */
export class AnswerBuffers {
  private readonly free: Buffer[] = [];
  constructor(private readonly keep = 4) {}

  /** A buffer of at least `size` bytes (its contents are old answers: overwrite what you use). */
  take(size: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0] as Buffer;
    // Headroom: the next answer of the same points differs in a few value lengths.
    return Buffer.allocUnsafeSlow(size + (size >> 3));
  }

  give(buf: Buffer): void {
    if (this.free.length < this.keep) this.free.push(buf);
  }

  /** Buffers kept now. */
  get size(): number {
    return this.free.length;
  }
}

/** A body and what to call once the response carrying it has been written (never before). */
export interface LatestAnswer {
  body: string | Buffer;
  done(): void;
}

const OPEN = Buffer.from('{"items":[');
const TS = Buffer.from(',"ts":');
const CLOSE = Buffer.from(']}');
const COMMA = 0x2c;
const BRACE = 0x7d;
const NONE = latestText(null, null, null);

/**
 * `{"items":[…]}` with item i = `heads[i]` + `,"ts":` + point i's stored text + `}`, copied
 * into one buffer from `pool`: the stored text is the item's tail (packages/queue
 * latest-values.ts), ASCII, written as latin1. A point with no slot takes its text from
 * `probed` (or `null` values if PostgreSQL had none).
 */
function answerBytes(heads: Buffer[], ids: number[], slots: LatestSlots, probed: Map<number, string>, pool: AnswerBuffers): LatestAnswer {
  let size = OPEN.length + CLOSE.length + Math.max(0, ids.length - 1);
  for (let i = 0; i < ids.length; i++) {
    const t = slots.text[i] ?? -1;
    const tail = t >= 0 ? (slots.end[i] ?? 0) - (slots.start[i] ?? 0) : (probed.get(ids[i] ?? 0) ?? NONE).length;
    size += (heads[i] as Buffer).length + TS.length + tail + 1;
  }
  const buf = pool.take(size);
  let pos = OPEN.copy(buf, 0);
  for (let i = 0; i < ids.length; i++) {
    if (i > 0) buf[pos++] = COMMA;
    pos += (heads[i] as Buffer).copy(buf, pos);
    pos += TS.copy(buf, pos);
    const t = slots.text[i] ?? -1;
    const tail = t >= 0 ? (slots.texts[t] as string).slice(slots.start[i], slots.end[i]) : (probed.get(ids[i] ?? 0) ?? NONE);
    pos += buf.write(tail, pos, 'latin1');
    buf[pos++] = BRACE;
  }
  pos += CLOSE.copy(buf, pos);
  let given = false;
  return {
    body: buf.subarray(0, pos),
    done: () => {
      if (given) return;
      given = true;
      pool.give(buf);
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`latest values: no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** One item: the kept registry part (or just the point id) and the value fields. */
function item(prefix: string, ts: string, value: string, quality: string): string {
  const v = value === '' ? Number.NaN : Number(value);
  return `${prefix},"ts":${ts === '' ? 'null' : ts},"value":${Number.isFinite(v) ? String(v) : 'null'},"quality":${QUALITY_JSON[quality] ?? '"fault"'}}`;
}

/** `id,ts,value,quality;…` as the values view. */
function valuesBody(values: string): string {
  if (values === '') return '{"items":[]}';
  const parts: string[] = [];
  for (const row of values.split(';')) {
    const [id = '', ts = '', value = '', quality = ''] = row.split(',');
    parts.push(item(`{"pointId":${Number(id)}`, ts, value, quality));
  }
  return `{"items":[${parts.join(',')}]}`;
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
    parts.push(item(prefix, ts, value, quality));
  }
  return `{"items":[${parts.join(',')}]}`;
}
