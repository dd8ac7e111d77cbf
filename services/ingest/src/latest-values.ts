import { counter, type Logger } from '@hazardwatch/observability';
import {
  clearLatest,
  forgetLatest,
  type LatestEntry,
  latestText,
  markLatestWriter,
  type Redis,
  setLatestIfNewer,
  unmarkLatestWriter,
} from '@hazardwatch/queue';
import type { MessageRows, RoutedReading } from './validate.js';

export interface LatestValuesWriterOptions {
  /**
   * Its own connection, made not to queue while Redis is away (`enableOfflineQueue: false`,
   * `maxRetriesPerRequest: 0`, a `commandTimeout`), so an outage fails a write at once.
   */
  redis: Redis;
  prefix: string;
  log: Logger;
  /** Backoff after a failed write: doubles from `minMs` to `maxMs` (default 100 ms → 5 s). */
  retry?: { minMs: number; maxMs: number };
  /**
   * Lifetime of the writer's mark (packages/queue `markLatestWriter`), renewed after each good
   * write and every third of it while idle: readers stop using the copy this long after the
   * writer's last good write at the latest, once it fails or dies. Default 15 s.
   */
  liveTtlMs?: number;
}

/**
 * Keeps the latest value of each point in Redis (packages/queue latest-values.ts) for the API's
 * `GET /telemetry/latest`, off the commit path: the batcher hands it a batch's stored readings
 * after their PUBACKs, and `record` only merges them into a map (newest per point) — it never
 * waits, throws or does I/O. One write at a time runs in the background; whatever arrives
 * meanwhile coalesces into the next one. A failed write keeps its entries (unless newer ones
 * came) and is retried with backoff; the compare-and-set script makes a repeat harmless.
 *
 * On start the hashes are cleared once, before the first write: a writer that died between an
 * acknowledgement and its Redis write left an older value there than PostgreSQL has, and a
 * missing point is read from PostgreSQL instead (and put back by the API).
 */
export class LatestValuesWriter {
  /** Newest reading per point to store, or `forget`: delete the point's field (see `record`). */
  private pending = new Map<number, { ts: number; text: string } | 'forget'>();
  /** Per forgotten point, the newest timestamp of its refused batch: older readings are not written. */
  private readonly floors = new Map<number, number>();
  private running: Promise<void> | undefined;
  private cleared = false;
  private stopped = false;
  private delayMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastWarn = 0;
  private readonly failures = counter(
    'hazardwatch_ingest_latest_values_failures_total',
    'Writes of latest values to Redis that failed (retried; the API reads PostgreSQL for what Redis lacks)',
  );

  private beat = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly o: LatestValuesWriterOptions) {
    this.delayMs = o.retry?.minMs ?? 100;
    // While idle the copy stays right (nothing new to write), so renew the mark through a write cycle with nothing in it.
    this.heartbeat = setInterval(
      () => {
        this.beat = true;
        this.kick();
      },
      Math.max(10, Math.floor(this.liveTtlMs / 3)),
    );
    this.heartbeat.unref();
  }

  private get liveTtlMs(): number {
    return this.o.liveTtlMs ?? 15_000;
  }

  /**
   * Take a committed and acknowledged batch: its stored readings (out-of-range ones are never
   * stored and are skipped) and its dead letters. Never throws, never waits.
   *
   * A batch the database refused in part (a `storage_rejected` dead letter: committed message by
   * message) does not say which readings were refused, so none of its values are written; its
   * points are deleted from Redis instead (the API reads them from PostgreSQL), and later readings
   * of them no newer than the batch's are not written either.
   */
  record(readings: readonly RoutedReading[], deadLetters: MessageRows['deadLetters'] = []): void {
    if (this.stopped) return;
    if (deadLetters.some((d) => d.reason === 'storage_rejected')) {
      for (const r of readings) {
        this.pending.set(r.pointId, 'forget');
        this.floors.set(r.pointId, Math.max(r.ts, this.floors.get(r.pointId) ?? r.ts));
      }
    } else
      for (const r of readings) {
        if (r.rejected) continue;
        // Not newer than a reading of a refused batch (which may be stored): stays forgotten.
        const floor = this.floors.get(r.pointId);
        if (floor !== undefined) {
          if (r.ts <= floor) continue;
          this.floors.delete(r.pointId);
        }
        const cur = this.pending.get(r.pointId);
        // Strictly newer wins, as in Redis: the first of equal timestamps is the one stored.
        if (cur === undefined || cur === 'forget' || r.ts > cur.ts) this.pending.set(r.pointId, { ts: r.ts, text: latestText(r.ts, r.value, r.quality) });
      }
    this.kick();
  }

  /** Entries waiting for Redis (tests, metrics). */
  get waiting(): number {
    return this.pending.size;
  }

  /** A write to Redis is in flight. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Resolves once nothing is waiting or in flight (tests). */
  async idle(): Promise<void> {
    while (this.running || (this.pending.size > 0 && !this.retryTimer && !this.stopped)) await (this.running ?? Promise.resolve());
  }

  /**
   * Stop taking readings; give what is waiting up to `deadlineMs` to reach Redis, then drop it
   * (the API reads those points from PostgreSQL after the next start clears the hashes).
   * Idempotent.
   */
  async stop(deadlineMs = 0): Promise<void> {
    if (!this.stopped && deadlineMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.idle(),
        new Promise((r) => {
          timer = setTimeout(r, deadlineMs);
        }),
      ]);
      clearTimeout(timer);
    }
    const wasStopped = this.stopped;
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // No writer from now on: readers go to PostgreSQL at once rather than after the mark's lifetime.
    if (!wasStopped) await unmarkLatestWriter(this.o.redis, this.o.prefix).catch(() => undefined);
  }

  private kick(): void {
    if (this.running || this.retryTimer || this.stopped || (this.pending.size === 0 && !this.beat)) return;
    this.running = this.flush().finally(() => {
      this.running = undefined;
      this.kick();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.beat = false;
    try {
      if (!this.cleared) {
        await clearLatest(this.o.redis, this.o.prefix);
        this.cleared = true;
      }
      const entries: LatestEntry[] = [];
      const forget: number[] = [];
      for (const [pointId, e] of batch) {
        if (e === 'forget') forget.push(pointId);
        else entries.push({ pointId, ts: e.ts, text: e.text });
      }
      if (forget.length > 0) await forgetLatest(this.o.redis, this.o.prefix, forget);
      await setLatestIfNewer(this.o.redis, this.o.prefix, entries);
      await markLatestWriter(this.o.redis, this.o.prefix, this.liveTtlMs);
      this.delayMs = this.o.retry?.minMs ?? 100;
    } catch (err) {
      this.failures.inc();
      // This batch is not in the copy: readers must not take the copy for the latest values.
      unmarkLatestWriter(this.o.redis, this.o.prefix).catch(() => undefined);
      // Put back what no newer reading replaced meanwhile, and try again later.
      for (const [pointId, e] of batch) {
        const cur = this.pending.get(pointId);
        // `forget` wins; else the newer, and of equal timestamps the earlier (this one).
        if (e === 'forget' || cur === undefined || (cur !== 'forget' && e.ts >= cur.ts)) this.pending.set(pointId, e);
      }
      const now = Date.now();
      if (now - this.lastWarn >= 60_000) {
        this.lastWarn = now;
        this.o.log.warn({ err, retryInMs: this.delayMs, points: this.pending.size }, 'latest values: Redis write failed; the API reads PostgreSQL meanwhile');
      }
      if (!this.stopped) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, this.delayMs);
        this.retryTimer.unref();
      }
      this.delayMs = Math.min(this.delayMs * 2, this.o.retry?.maxMs ?? 5_000);
    }
  }
}
