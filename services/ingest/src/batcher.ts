import { randomBytes } from 'node:crypto';
import type { EvaluateJob } from '@hazardwatch/contracts';
import { commitIngestBatch, type IngestBatchResult, isTransientDbError, type Pool } from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import { type EvaluateProducer, partitionOf, sourceKey, vehicleKey } from '@hazardwatch/queue';
import type { IngestMetrics } from './metrics.js';
import type { MessageRows } from './validate.js';

export interface BatcherOptions {
  pool: Pool;
  producer: EvaluateProducer;
  log: Logger;
  metrics: IngestMetrics;
  maxRows: number;
  maxWaitMs: number;
  /**
   * Most messages that can be waiting at once: the subscriber pool's connection count
   * (MQTT.js hands each connection one message at a time until its PUBACK). A batch holding
   * that many cannot grow any more, so it is written at once instead of waiting out
   * `maxWaitMs`. Unbounded for the embedded broker hook.
   */
  maxMessages?: number;
  now?: () => number;
  /** Backoff between failed attempts: doubles from `minMs` to `maxMs`. */
  retry?: { minMs: number; maxMs: number };
  instance?: string;
  /** Told each batch after its acknowledgements (latest-values.ts); must neither throw nor wait. */
  latestValues?: { record(stored: MessageRows['readings'], deadLetters: MessageRows['deadLetters']): void };
}

interface Pending {
  rows: MessageRows;
  ack: () => void;
}

export type IngestState = 'running' | 'database_unavailable' | 'queue_unavailable';
const STATE_CODE: Record<IngestState, number> = { running: 0, database_unavailable: 1, queue_unavailable: 2 };
/**
 * Redis out of reach does not fail an enqueue: ioredis holds the command until it reconnects
 * (`maxRetriesPerRequest: null`). An enqueue still waiting after this long is reported as
 * `queue_unavailable` all the same.
 */
const ENQUEUE_STALLED_MS = 2_000;
/**
 * A batch whose commit + enqueue takes longer than this is logged with its stages: every
 * message of it (and, with the connections all waiting, every message behind it) was held
 * that long, so an alarm reading in it was late by as much.
 */
const SLOW_BATCH_MS = 500;

/**
 * Collects validated messages and writes them in batches. The order for each
 * batch is: COMMIT rows → enqueue evaluation jobs → acknowledge every message
 * of the batch. A crash anywhere before the acknowledgement leaves the messages
 * unacknowledged, so the broker redelivers them; the primary keys turn the
 * repeat into a no-op and the rules worker skips readings it has already seen.
 * A failing database or Redis holds the acknowledgements and is retried with
 * backoff until it recovers: nothing is dropped, and ingest resumes by itself.
 */
export class Batcher {
  private current: Pending[] = [];
  private currentRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private stopping = false;
  private seq = 0;
  private readonly instance: string;
  private readonly now: () => number;
  private state: IngestState = 'running';

  constructor(private readonly o: BatcherOptions) {
    this.instance = o.instance ?? randomBytes(6).toString('hex');
    this.now = o.now ?? Date.now;
    o.metrics.state.set({ instance: this.instance }, 0);
  }

  get currentState(): IngestState {
    return this.state;
  }

  /** Messages waiting in the open batch or in the batch being written. */
  pendingMessages = 0;

  /** Add one message's rows; `ack` is called once they are committed and enqueued. */
  submit(rows: MessageRows, ack: () => void): void {
    this.current.push({ rows, ack });
    this.pendingMessages++;
    this.o.metrics.pendingMessages.set({ instance: this.instance }, this.pendingMessages);
    this.currentRows += rows.readings.length + rows.positions.length + rows.statuses.length + rows.deadLetters.length + 1;
    if (this.isFull()) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.o.maxWaitMs);
  }

  private isFull(): boolean {
    return this.currentRows >= this.o.maxRows || this.current.length >= (this.o.maxMessages ?? Number.POSITIVE_INFINITY);
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing || this.current.length === 0) return;
    const batch = this.current;
    this.current = [];
    this.currentRows = 0;
    this.flushing = this.write(batch)
      .catch((err) => this.o.log.error({ err }, 'batch abandoned unacknowledged; the broker will redeliver it'))
      .finally(() => {
        this.flushing = undefined;
        // Whatever arrived during the write goes next, at once if it is already full.
        if (this.current.length > 0) {
          if (this.isFull() || this.stopping) this.kick();
          else this.timer ??= setTimeout(() => this.kick(), this.o.maxWaitMs);
        }
      });
  }

  private setState(s: IngestState): void {
    if (s === this.state) return;
    this.state = s;
    this.o.metrics.state.set({ instance: this.instance }, STATE_CODE[s]);
    if (s === 'running') this.o.log.info({ state: s }, 'ingest resumed');
    else this.o.log.warn({ state: s }, 'ingest paused: holding acknowledgements until it recovers');
  }

  private async retrying<T>(stage: 'commit' | 'enqueue', failState: IngestState, fn: () => Promise<T>, permanent?: (err: unknown) => boolean): Promise<T> {
    const { minMs, maxMs } = this.o.retry ?? { minMs: 100, maxMs: 5_000 };
    let delay = minMs;
    for (;;) {
      const stalled = stage === 'enqueue' ? setTimeout(() => this.setState(failState), ENQUEUE_STALLED_MS) : undefined;
      try {
        const r = await fn();
        clearTimeout(stalled);
        this.setState('running');
        return r;
      } catch (err) {
        clearTimeout(stalled);
        if (this.stopping || permanent?.(err)) throw err;
        this.o.metrics.retries.inc({ stage });
        this.o.log.warn({ err, stage, retryInMs: delay }, 'batch write failed, retrying');
        this.setState(failState);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, maxMs);
      }
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    const readings: MessageRows['readings'] = [];
    const stored: MessageRows['readings'] = [];
    const positions: MessageRows['positions'] = [];
    const statuses: MessageRows['statuses'] = [];
    const deadLetters: MessageRows['deadLetters'] = [];
    for (const { rows } of batch) {
      for (const r of rows.readings) {
        readings.push(r);
        if (!r.rejected) stored.push(r);
      }
      positions.push(...rows.positions);
      statuses.push(...rows.statuses);
      deadLetters.push(...rows.deadLetters);
    }
    const started = performance.now();
    let result: IngestBatchResult;
    try {
      result = await this.commit(stored, positions, statuses, deadLetters);
    } catch (err) {
      if (isTransientDbError(err)) throw err;
      // The database refused this data (not an outage): find the message(s) at fault
      // so one bad message never stalls the stream.
      this.o.log.error({ err }, 'batch refused by the database; committing message by message');
      result = await this.commitOneByOne(batch, deadLetters);
    }
    const m = this.o.metrics;
    m.commitSeconds.observe((performance.now() - started) / 1000);
    m.batches.inc();
    m.batchRows.observe(stored.length + positions.length + statuses.length + deadLetters.length);
    m.readings.inc(result.readingsInserted);
    m.positions.inc(result.positionsInserted);
    for (const d of deadLetters) m.deadLetters.inc({ reason: d.reason });

    const committed = performance.now();
    const jobs = this.jobsFor(readings, positions, statuses);
    if (jobs.length > 0) await this.retrying('enqueue', 'queue_unavailable', () => this.o.producer.enqueue(jobs));
    const enqueued = performance.now();
    m.enqueueSeconds.observe((enqueued - committed) / 1000);
    if (enqueued - started > SLOW_BATCH_MS)
      this.o.log.warn(
        { messages: batch.length, readings: stored.length, commitMs: Math.round(committed - started), enqueueMs: Math.round(enqueued - committed) },
        'slow batch: acknowledgements held',
      );

    for (const p of batch) p.ack();
    this.o.latestValues?.record(stored, deadLetters);
    this.pendingMessages -= batch.length;
    this.o.metrics.pendingMessages.set({ instance: this.instance }, this.pendingMessages);
  }

  private commit(
    stored: MessageRows['readings'],
    positions: MessageRows['positions'],
    statuses: MessageRows['statuses'],
    deadLetters: MessageRows['deadLetters'],
  ) {
    return this.retrying(
      'commit',
      'database_unavailable',
      () =>
        commitIngestBatch(this.o.pool, {
          readings: stored.filter((r) => !r.rejected).map(({ pointId, ts, value, quality }) => ({ pointId, ts, value, quality })),
          positions,
          statuses,
          deadLetters,
        }),
      (err) => !isTransientDbError(err),
    );
  }

  /** Slow path after a refusal: each message alone; one still refused becomes a `storage_rejected` dead letter. */
  private async commitOneByOne(batch: Pending[], deadLetters: MessageRows['deadLetters']): Promise<IngestBatchResult> {
    const total: IngestBatchResult = { readingsInserted: 0, positionsInserted: 0, deadLetters: 0 };
    const add = (r: IngestBatchResult) => {
      total.readingsInserted += r.readingsInserted;
      total.positionsInserted += r.positionsInserted;
      total.deadLetters += r.deadLetters;
    };
    for (const { rows } of batch) {
      try {
        add(await this.commit(rows.readings, rows.positions, rows.statuses, rows.deadLetters));
      } catch (err) {
        if (isTransientDbError(err)) throw err;
        const first = rows.deadLetters[0];
        const refused = {
          topic: first?.topic ?? 'unknown',
          enterpriseId: first?.enterpriseId ?? null,
          deviceId: first?.deviceId ?? null,
          reason: 'storage_rejected',
          detail: `database refused the rows: ${err instanceof Error ? err.message : String(err)}`,
          payload: Buffer.alloc(0),
          payloadBytes: 0,
          truncated: false,
        };
        deadLetters.push(refused);
        add(await this.commit([], [], [], [refused]));
      }
    }
    return total;
  }

  /** One job per partition per batch, carrying the batch's readings in arrival order. */
  private jobsFor(readings: MessageRows['readings'], positions: MessageRows['positions'], statuses: MessageRows['statuses']): EvaluateJob[] {
    const n = this.o.producer.partitions;
    const batchNo = this.seq++;
    const committedAt = this.now();
    const jobs = new Map<number, EvaluateJob>();
    const jobOf = (partition: number): EvaluateJob => {
      let j = jobs.get(partition);
      if (!j) {
        j = { v: 1, partition, batchId: `${this.instance}-${batchNo}-${partition}`, committedAt, readings: [], positions: [], statuses: [] };
        jobs.set(partition, j);
      }
      return j;
    };
    for (const r of readings)
      jobOf(partitionOf(sourceKey(r.hazardSourceId), n)).readings.push({ pointId: r.pointId, ts: r.ts, value: r.value, quality: r.quality });
    for (const p of positions) jobOf(partitionOf(vehicleKey(p.vehicleId), n)).positions.push(p);
    for (const s of statuses)
      jobOf(partitionOf(`device:${s.deviceId}`, n)).statuses.push({ deviceId: s.deviceId, enterpriseId: s.enterpriseId, ts: s.ts, online: s.online });
    return [...jobs.values()];
  }

  /**
   * Stop taking work: write what is pending (within `deadlineMs`), then resolve.
   * Messages not written by then stay unacknowledged for redelivery.
   */
  async drain(deadlineMs: number): Promise<void> {
    this.stopping = true;
    const deadline = Date.now() + deadlineMs;
    while (Date.now() < deadline && (this.flushing || this.current.length > 0)) {
      this.kick();
      if (this.flushing) await Promise.race([this.flushing, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
    }
    if (this.timer) clearTimeout(this.timer);
  }
}
