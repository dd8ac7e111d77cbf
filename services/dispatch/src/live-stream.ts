import { scopeCovers } from '@hazardwatch/alarms';
import { type AlarmEvent, AlarmEventSchema, type DispatchScope, DispatchScopeSchema } from '@hazardwatch/contracts';
import { latestAlarmEventSeq, latestDispatchEventSeq, listDispatchEvents, listEventsAfter, type Pool } from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import { liveChannel, type Redis } from '@hazardwatch/queue';
import { DispatchError } from './errors.js';

export interface LiveStreamDeps {
  /** A connection to duplicate: the stream subscribes on a connection of its own (one per LiveStream, shared by every subscriber). */
  redis: Redis;
  /** QUEUE_PREFIX: the live channel is `liveChannel(prefix)`. */
  prefix: string;
  pool: Pool;
  log?: Logger;
  /** Events per replay query. */
  pageSize?: number;
  /** Live events a subscriber may have waiting before it is cut off (it reconnects with Last-Event-ID and replays). */
  maxBuffered?: number;
}

/**
 * One subscriber's events: an async iterator (`for await … of`), ending when closed.
 * Each event's `seq` is its SSE `id:`; a client that reconnects sends the last one as
 * Last-Event-ID. It throws `HW_DISPATCH_LIVE_OVERFLOW` when the subscriber reads
 * slower than events arrive for too long (the SSE route ends the response; the client
 * reconnects and replays from PostgreSQL, nothing is lost).
 */
export interface LiveSubscription extends AsyncIterableIterator<AlarmEvent> {
  /** Seq of the last event handed out, or null. */
  readonly lastSeq: number | null;
  /** Stop: the iterator ends (a pending `next()` resolves done). Idempotent. */
  close(): void;
}

export interface LiveStream {
  /**
   * Follow the alarm events of `scope` (an enterprise id, or a region prefix: a regulator
   * of 3703 gets 3703xx, never 3704xx). With `lastEventId` (the SSE Last-Event-ID: a seq),
   * first every stored event of the scope after it (alarm_events and dispatch's own
   * events, from PostgreSQL), then live ones from the Redis channel; without, live ones
   * from now. No event is handed out twice in one subscription. After a Redis reconnect,
   * what the channel may have dropped meanwhile is replayed from PostgreSQL.
   */
  subscribe(scope: DispatchScope, lastEventId?: number | string | null): LiveSubscription;
  /** End every subscription and the channel connection. Idempotent. */
  close(): Promise<void>;
}

/** Ids handed out, remembered to drop an event seen both in a replay and on the channel. */
const REMEMBERED_IDS = 10_000;

function parseLastEventId(v: number | string | null | undefined): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : null;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v.trim())) return Number(v.trim());
  return null;
}

export function createLiveStream(deps: LiveStreamDeps): LiveStream {
  const pageSize = deps.pageSize ?? 500;
  const maxBuffered = deps.maxBuffered ?? 10_000;
  const channel = liveChannel(deps.prefix);
  const subs = new Set<Subscription>();
  let conn: Redis | null = null;
  let subscribed: Promise<void> | null = null;
  let closed = false;

  /** One SUBSCRIBE for every subscriber of this process, made on first use. */
  function ensureSubscribed(): Promise<void> {
    if (subscribed) return subscribed;
    const c = deps.redis.duplicate();
    conn = c;
    let readyOnce = false;
    c.on('error', (err) => deps.log?.warn({ err }, 'live stream: redis connection error'));
    c.on('ready', () => {
      // ioredis subscribes again by itself; whatever was published while it was away is replayed.
      if (readyOnce) for (const s of subs) s.resync();
      readyOnce = true;
    });
    c.on('message', (_channel: string, text: string) => {
      let event: AlarmEvent;
      try {
        const parsed = AlarmEventSchema.safeParse(JSON.parse(text));
        if (!parsed.success) return;
        event = parsed.data;
      } catch {
        // Not JSON: not ours to hand out (latest values may share the channel in another format).
        return;
      }
      for (const s of subs) s.offer(event);
    });
    subscribed = c.subscribe(channel).then(() => undefined);
    return subscribed;
  }

  /** Stored events of a scope after `afterSeq`, oldest first, from both event tables. */
  async function page(scope: DispatchScope, afterSeq: number): Promise<AlarmEvent[]> {
    const storeScope = 'enterpriseId' in scope ? { enterpriseIds: [scope.enterpriseId] } : { regionPrefix: scope.regionPrefix };
    const [stored, own] = await Promise.all([
      listEventsAfter(deps.pool, { afterSeq, ...storeScope, limit: pageSize }),
      listDispatchEvents(deps.pool, { afterSeq, scope, limit: pageSize }),
    ]);
    let cutoff = Number.POSITIVE_INFINITY;
    for (const list of [stored, own]) {
      const last = list.at(-1);
      if (list.length === pageSize && last) cutoff = Math.min(cutoff, last.seq);
    }
    return [...stored, ...own].filter((e) => e.seq <= cutoff).sort((a, b) => a.seq - b.seq);
  }

  class Subscription implements LiveSubscription {
    lastSeq: number | null = null;
    readonly #scope: DispatchScope;
    #buffer: AlarmEvent[] = [];
    #replay: AlarmEvent[] = [];
    #replayAfter: number | null;
    #emitted = new Set<string>();
    #wake: (() => void) | null = null;
    /** The newest seq when a subscriber without Last-Event-ID started: where a resync replays from before its first event. */
    #startSeq: number | null = null;
    #started = false;
    #closed = false;
    #error: DispatchError | null = null;

    constructor(scope: DispatchScope, lastEventId: number | null) {
      this.#scope = scope;
      this.#replayAfter = lastEventId;
    }

    offer(e: AlarmEvent): void {
      if (this.#closed || !scopeCovers(this.#scope, e.enterpriseId, e.regionCode)) return;
      this.#buffer.push(e);
      if (this.#buffer.length > maxBuffered) {
        this.#buffer = [];
        this.#error = new DispatchError('HW_DISPATCH_LIVE_OVERFLOW', `live subscriber more than ${maxBuffered} events behind; reconnect with Last-Event-ID`);
      }
      this.#poke();
    }

    resync(): void {
      // Replay from the last event handed out (or, before any, from where the subscriber started).
      const from = this.lastSeq ?? this.#startSeq;
      if (from !== null) this.#replayAfter = Math.max(this.#replayAfter ?? 0, from);
      this.#poke();
    }

    #poke(): void {
      const w = this.#wake;
      this.#wake = null;
      w?.();
    }

    #emit(e: AlarmEvent): IteratorResult<AlarmEvent> {
      this.#emitted.add(e.id);
      if (this.#emitted.size > REMEMBERED_IDS) {
        const oldest = this.#emitted.values().next();
        if (!oldest.done) this.#emitted.delete(oldest.value);
      }
      this.lastSeq = Math.max(this.lastSeq ?? 0, e.seq);
      return { done: false, value: e };
    }

    async next(): Promise<IteratorResult<AlarmEvent>> {
      await ensureSubscribed();
      if (!this.#started) {
        this.#started = true;
        if (this.#replayAfter === null) this.#startSeq = Math.max(await latestAlarmEventSeq(deps.pool), await latestDispatchEventSeq(deps.pool));
      }
      for (;;) {
        if (this.#error) {
          const err = this.#error;
          this.close();
          throw err;
        }
        if (this.#closed) return { done: true, value: undefined };
        const r = this.#replay.shift();
        if (r) {
          if (!this.#emitted.has(r.id)) return this.#emit(r);
          continue;
        }
        if (this.#replayAfter !== null) {
          const after = this.#replayAfter;
          const events = await page(this.#scope, after);
          const last = events.at(-1);
          // Until a page comes back empty; a resync during the query moves the start forward, never back.
          this.#replayAfter = last ? Math.max(last.seq, this.#replayAfter ?? 0) : this.#replayAfter === after ? null : this.#replayAfter;
          this.#replay = events;
          continue;
        }
        const e = this.#buffer.shift();
        if (e) {
          if (!this.#emitted.has(e.id)) return this.#emit(e);
          continue;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    }

    async return(): Promise<IteratorResult<AlarmEvent>> {
      this.close();
      return { done: true, value: undefined };
    }

    close(): void {
      if (this.#closed) return;
      this.#closed = true;
      this.#buffer = [];
      this.#replay = [];
      subs.delete(this);
      this.#poke();
    }

    [Symbol.asyncIterator](): this {
      return this;
    }
  }

  return {
    subscribe(scope, lastEventId) {
      const parsed = DispatchScopeSchema.safeParse(scope);
      if (!parsed.success) throw new DispatchError('HW_DISPATCH_LIVE_BAD_SCOPE', 'a live scope is { enterpriseId } or { regionPrefix } of 2, 4 or 6 digits');
      if (closed) throw new DispatchError('HW_DISPATCH_LIVE_CLOSED', 'the live stream is closed');
      const s = new Subscription(parsed.data, parseLastEventId(lastEventId));
      subs.add(s);
      // Subscribe now, so events published from this moment are buffered even before the first next().
      ensureSubscribed().catch((err: unknown) => deps.log?.warn({ err }, 'live stream: subscribe failed'));
      return s;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const s of [...subs]) s.close();
      const c = conn;
      conn = null;
      if (c) await c.quit().catch(() => c.disconnect());
    },
  };
}
