import type { Quality } from '@hazardwatch/contracts';
import type { Redis } from 'ioredis';

/**
 * Latest value of each measuring point, kept in Redis for `GET /telemetry/latest` so the API
 * need not probe `readings` once per point. Ingest writes it after a batch is committed and
 * acknowledged; the API reads it and falls back to PostgreSQL for any point it lacks.
 * Nothing here is the truth: PostgreSQL is, and Redis keeps nothing on disk.
 *
 * Layout: one string per 4,096 point ids, `{prefix}:latest:{⌊pointId / 4096⌋}`, holding a
 * fixed slot of `LATEST_SLOT_BYTES` per point at `(pointId mod 4096) × LATEST_SLOT_BYTES`.
 * A slot holds the tail of the point's JSON item from `"ts":` on, without the closing brace —
 * `1795470000000,"value":27.5,"quality":"good"` — padded with spaces; zero bytes (never
 * written) mean "unknown". The API reads the slots of 10,000 points with a few GETRANGEs and
 * builds the answer by concatenation alone: as a hash (HMGET of 10,000 fields) the read alone
 * took 10–15 ms here, most of it ioredis parsing 10,000 replies (docs/benchmarks.md).
 * `null,"value":null,"quality":null` marks a point that had no reading when the API last looked,
 * so it is not probed again on every request. Keyed by point id, not by enterprise: ingest
 * knows a reading's point but not its enterprise, and a point moved to another device, hazard
 * source or enterprise keeps its slot, so the answer never depends on which registry state the
 * writer had cached.
 */
export const LATEST_BUCKET_POINTS = 4096;
/** Longest stored text is ~70 bytes (13-digit ts, a 24-character number, "maintenance"). */
export const LATEST_SLOT_BYTES = 80;

const bucketOf = (pointId: number): number => Math.floor(pointId / LATEST_BUCKET_POINTS);
const bucketKey = (prefix: string, bucket: number): string => `${prefix}:latest:${bucket}`;
const latestKey = (prefix: string, pointId: number): string => bucketKey(prefix, bucketOf(pointId));
const slotOf = (pointId: number): number => pointId % LATEST_BUCKET_POINTS;

/** One point's latest reading in the stored form (`latestText`). */
export interface LatestEntry {
  pointId: number;
  /** Epoch ms; null for "no reading" (a marker any reading replaces). */
  ts: number | null;
  text: string;
}

/** The stored form of a reading (or, with nulls, of "no reading"): see the layout above. */
export function latestText(ts: number | null, value: number | null, quality: Quality | null): string {
  if (ts === null) return 'null,"value":null,"quality":null';
  return `${ts},"value":${value !== null && Number.isFinite(value) ? String(value) : 'null'},"quality":${quality === null ? 'null' : `"${quality}"`}`;
}

/**
 * Compare-and-set per slot: a value replaces the stored one only when its timestamp is strictly
 * newer, so a redelivered or late reading, or a reader's write-back from PostgreSQL racing
 * ingest, never overwrites a newer one. Equal timestamps keep the first, as the
 * `(point_id, time)` primary key does. An empty slot or the "no reading" marker has no
 * timestamp: anything replaces it, and a marker replaces nothing else.
 *
 * ARGV: slot size, then per run of consecutive slots its byte offset and the run's padded texts
 * joined. A device's channels are usually consecutive point ids, so one message is one run:
 * one GETRANGE and at most one SETRANGE per run, the comparisons in Lua string operations —
 * one Redis call per slot cost ~4 µs of Redis CPU per reading on this machine.
 *
 * Per slot only the two timestamps are read, in place in the two run strings: the text up to the
 * slot's first comma, as a number by `tonumber` ("null" and an emptied slot give none), parsed
 * only when it differs from the slot before (a device's channels share their message's
 * timestamp). No 80-byte string per slot is made, and a run whose every slot is replaced is
 * written from the argument as it came; only a run with kept slots is put together again. At
 * dense-load batches that cut Redis's CPU from ~2.0 to ~1.2 µs per reading (`npm run bench --
 * latest-write`, docs/benchmarks.md).
 */
const SET_NEWER = `local size = tonumber(ARGV[1])
local find, sub, byte, tonum = string.find, string.sub, string.byte, tonumber
local n = 0
local rep = {}
for i = 2, #ARGV, 2 do
  local off = tonum(ARGV[i])
  local blob = ARGV[i + 1]
  local len = #blob
  local cur = redis.call('GETRANGE', KEYS[1], off, off + len - 1)
  local curLen = #cur
  local count, nrep = len / size, 0
  local oldText, oldTs, newText, newTs
  for k = 1, count do
    local p = (k - 1) * size + 1
    local q = p + size - 1
    local r = true
    if q <= curLen then
      local oc = find(cur, ',', p, true)
      if oc and oc <= q then
        local t = sub(cur, p, oc - 1)
        if t ~= oldText then oldText, oldTs = t, tonum(t) end
      else
        oldText, oldTs = nil, nil
      end
      local nc = find(blob, ',', p, true)
      if nc and nc <= q then
        local t = sub(blob, p, nc - 1)
        if t ~= newText then newText, newTs = t, tonum(t) end
      else
        newText, newTs = nil, nil
      end
      if oldTs then
        r = newTs and oldTs < newTs
      elseif not newTs then
        r = byte(cur, p) == 0
      end
    end
    if r then nrep = nrep + 1 end
    rep[k] = r
  end
  if nrep == count then
    redis.call('SETRANGE', KEYS[1], off, blob)
  elseif nrep > 0 then
    local parts = {}
    for k = 1, count do
      local p = (k - 1) * size + 1
      parts[k] = sub(rep[k] and blob or cur, p, p + size - 1)
    end
    redis.call('SETRANGE', KEYS[1], off, table.concat(parts))
  end
  n = n + nrep
end
return n`;

type Pipe = {
  hwLatestSetNewer(key: string, ...args: string[]): void;
  getrange(key: string, start: number, end: number): void;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
};

function byKey<T extends { pointId: number }>(prefix: string, items: Iterable<T>): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = latestKey(prefix, it.pointId);
    let list = out.get(k);
    if (!list) {
      list = [];
      out.set(k, list);
    }
    list.push(it);
  }
  return out;
}

/**
 * Store entries, each only if newer than what is there (one pipelined script call per bucket).
 * Resolves with how many slots changed; rejects when Redis fails (the caller decides). An
 * entry whose text does not fit a slot is skipped (none can: see `LATEST_SLOT_BYTES`).
 */
export async function setLatestIfNewer(redis: Redis, prefix: string, entries: Iterable<LatestEntry>): Promise<number> {
  if (typeof (redis as unknown as Partial<Pipe>).hwLatestSetNewer !== 'function') redis.defineCommand('hwLatestSetNewer', { numberOfKeys: 1, lua: SET_NEWER });
  const pipe = redis.pipeline() as unknown as Pipe;
  let calls = 0;
  for (const [key, list] of byKey(prefix, entries)) {
    list.sort((a, b) => a.pointId - b.pointId);
    const args: string[] = [String(LATEST_SLOT_BYTES)];
    let runStart = -2;
    let runEnd = -2;
    let run: string[] = [];
    const close = () => {
      if (run.length > 0) args.push(String(runStart * LATEST_SLOT_BYTES), run.join(''));
      run = [];
    };
    for (const e of list) {
      // Never fits or breaks the padding: none can (see LATEST_SLOT_BYTES); skipped, not stored.
      if (e.text.length >= LATEST_SLOT_BYTES || e.text.includes(' ')) continue;
      const slot = slotOf(e.pointId);
      if (slot === runEnd) continue; // the same point twice: the caller keeps one per point
      if (slot !== runEnd + 1) {
        close();
        runStart = slot;
      }
      runEnd = slot;
      run.push(e.text.padEnd(LATEST_SLOT_BYTES, ' '));
    }
    close();
    if (args.length === 1) continue;
    pipe.hwLatestSetNewer(key, ...args);
    calls++;
  }
  if (calls === 0) return 0;
  let changed = 0;
  for (const [err, n] of (await pipe.exec()) ?? []) {
    if (err) throw err;
    changed += Number(n);
  }
  return changed;
}

/**
 * The stored text of each point, aligned with `pointIds`, without cutting it out: point `i`'s
 * text is `texts[text[i]]` from `start[i]` to `end[i]` (`text[i]` is -1 where Redis has
 * nothing). One pipelined GETRANGE per bucket, over the span of slots asked for, each reply one
 * string: the API copies the spans into its answer as they are, which costs less than making
 * 10,000 strings. Strings, not Buffers: three replies of up to 320 KiB per request as Buffers
 * are external memory, to which V8 answers with full collections — ~60 per 500 requests of
 * 10,000 points against 3 as strings (docs/benchmarks.md). Character offsets are byte offsets
 * because every byte written is ASCII (`latestText`: digits, signs, `null`, the quality names,
 * padding spaces; never-written slots are zero bytes).
 */
export interface LatestSlots {
  texts: string[];
  text: Int32Array;
  start: Int32Array;
  end: Int32Array;
}

export async function readLatestSlots(redis: Redis, prefix: string, pointIds: readonly number[]): Promise<LatestSlots> {
  const spans = new Map<number, { first: number; last: number; index: number }>();
  for (const id of pointIds) {
    const b = bucketOf(id);
    const s = slotOf(id);
    const span = spans.get(b);
    if (!span) spans.set(b, { first: s, last: s, index: spans.size });
    else {
      if (s < span.first) span.first = s;
      if (s > span.last) span.last = s;
    }
  }
  const n = pointIds.length;
  const out: LatestSlots = { texts: [], text: new Int32Array(n).fill(-1), start: new Int32Array(n), end: new Int32Array(n) };
  if (spans.size === 0) return out;
  const pipe = redis.pipeline() as unknown as Pipe;
  for (const [b, { first, last }] of spans) pipe.getrange(bucketKey(prefix, b), first * LATEST_SLOT_BYTES, (last + 1) * LATEST_SLOT_BYTES - 1);
  const results = (await pipe.exec()) ?? [];
  for (const span of spans.values()) {
    const [err, text] = results[span.index] ?? [new Error('latest values: no reply'), null];
    if (err) throw err;
    out.texts[span.index] = typeof text === 'string' ? text : '';
  }
  for (let i = 0; i < n; i++) {
    const id = pointIds[i] ?? 0;
    const span = spans.get(bucketOf(id));
    if (!span) continue;
    const text = out.texts[span.index] as string;
    const off = (slotOf(id) - span.first) * LATEST_SLOT_BYTES;
    // Past the string's end, or zero bytes: never written.
    if (off >= text.length || text.charCodeAt(off) === 0) continue;
    const limit = Math.min(off + LATEST_SLOT_BYTES, text.length);
    let end = text.indexOf(' ', off);
    if (end === -1 || end > limit) end = limit;
    out.text[i] = span.index;
    out.start[i] = off;
    out.end[i] = end;
  }
  return out;
}

/** Stored text per point, aligned with `pointIds` (undefined where Redis has nothing). */
export async function readLatest(redis: Redis, prefix: string, pointIds: readonly number[]): Promise<Array<string | undefined>> {
  const slots = await readLatestSlots(redis, prefix, pointIds);
  const out: Array<string | undefined> = new Array(pointIds.length).fill(undefined);
  for (let i = 0; i < pointIds.length; i++) {
    const t = slots.text[i] ?? -1;
    if (t >= 0) out[i] = (slots.texts[t] as string).slice(slots.start[i], slots.end[i]);
  }
  return out;
}

/**
 * The copy is only as good as its writer: an API configured to read it next to an ingest that
 * does not write it (LATEST_VALUES_REDIS set on one and not the other, or a writer whose writes
 * fail) would serve old values as the latest. So a writer in good standing keeps this key alive
 * (`markLatestWriter`, a short TTL it renews), drops it when a write fails or it stops, and
 * readers use the copy only while it exists (`latestWriterLive`). Not under `:latest:*`, so
 * `clearLatest` leaves it alone.
 */
const writerKey = (prefix: string): string => `${prefix}:latest-writer`;

export async function markLatestWriter(redis: Redis, prefix: string, ttlMs: number): Promise<void> {
  await redis.set(writerKey(prefix), '1', 'PX', ttlMs);
}

export async function unmarkLatestWriter(redis: Redis, prefix: string): Promise<void> {
  await redis.del(writerKey(prefix));
}

export async function latestWriterLive(redis: Redis, prefix: string): Promise<boolean> {
  return (await redis.exists(writerKey(prefix))) === 1;
}

/** Forget points (a writer that cannot vouch for them): readers then go to PostgreSQL. */
export async function forgetLatest(redis: Redis, prefix: string, pointIds: readonly number[]): Promise<void> {
  const empty = '\0'.repeat(LATEST_SLOT_BYTES);
  const pipe = redis.pipeline();
  for (const id of pointIds) pipe.setrange(latestKey(prefix, id), slotOf(id) * LATEST_SLOT_BYTES, empty);
  for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
}

/**
 * The bucket keys under `prefix`, a SCAN page at a time, each once. The MATCH pattern would also
 * take keys of another prefix that begins with this one's `…:latest:` (prefixes may hold colons):
 * only `{prefix}:latest:<digits>` is a bucket.
 */
export async function* latestBucketKeys(redis: Redis, prefix: string): AsyncGenerator<string[]> {
  const bucket = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:latest:\\d+$`);
  // SCAN may return a key twice.
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:latest:*`, 'COUNT', 1000);
    cursor = next;
    const page = keys.filter((k) => bucket.test(k) && !seen.has(k));
    for (const k of page) seen.add(k);
    if (page.length > 0) yield page;
  } while (cursor !== '0');
}

/** Delete every latest-values bucket under the prefix (SCAN + UNLINK; the keys are few). */
export async function clearLatest(redis: Redis, prefix: string): Promise<number> {
  let removed = 0;
  for await (const keys of latestBucketKeys(redis, prefix)) removed += await redis.unlink(...keys);
  return removed;
}
