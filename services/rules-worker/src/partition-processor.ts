import { type AlarmEvent, type AlarmTransition, EvaluateJobSchema, type JobPosition, type JobReading } from '@hazardwatch/contracts';
import { type AlarmInputItem, applyAlarmInputs, listEventsOfInput, type Pool } from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import { partitionOf, QueueNames, vehicleKey } from '@hazardwatch/queue';
import { evaluateRule, NO_INPUTS, type RuleInputs, type RuleState, RuleStateSchema, resetLatch } from '@hazardwatch/rules';
import { type Job, UnrecoverableError, WaitingError } from 'bullmq';
import { RulesWorkerError, RulesWorkerErrorCode } from './errors.js';
import type { EventPublisher } from './event-publisher.js';
import { classifyInput, type LogLimiter, rememberInputs } from './input-recency.js';
import { RESET_JOB_NAME, ResetJobSchema, type ResetOutcome, TICK_JOB_NAME, TickJobSchema } from './jobs.js';
import type { RulesWorkerMetrics } from './metrics.js';
import type { PartitionStore, StateWrite, StoredStates } from './partition-store.js';
import { type RetryContext, untilDone } from './retry.js';
import type { CachedRule, RuleCache } from './rule-cache.js';

export type ProcessorContext = {
  pool: Pool;
  prefix: string;
  partitions: number;
  store: PartitionStore;
  cache: RuleCache;
  publisher: EventPublisher;
  log: Logger;
  metrics: RulesWorkerMetrics;
  now: () => number;
  /** A tick evaluates at its slot time minus this, so readings still in flight are not late. */
  tickLagMs: number;
  signal: AbortSignal;
  retry: Omit<RetryContext, 'signal' | 'log' | 'onRetry'>;
  /** Per partition: rule id → version this process knows the stored state was built with. */
  verified: Map<number, Map<string, number>>;
  /** Holds back warnings about late inputs (a device replaying its buffer must not flood the log). */
  lateLog: LogLimiter;
};

export type JobOutcome = {
  type: 'evaluate' | 'tick' | 'reset';
  outcome: 'ok' | 'superseded' | 'no_rules' | 'refused';
  transitions: number;
  events: number;
  /** Reset jobs: what the requester is told. */
  reset?: ResetOutcome;
};

type Work = { c: CachedRule; inputs: RuleInputs; now: number };

/** A retry context for one job. */
function retryOf(ctx: ProcessorContext, log: Logger): RetryContext {
  return { ...ctx.retry, signal: ctx.signal, log, onRetry: (stage) => ctx.metrics.retries.inc({ stage }) };
}

function poison(ctx: ProcessorContext, log: Logger, type: string, reason: string, issues: readonly string[] = []): never {
  ctx.metrics.jobs.inc({ type, outcome: 'poison' });
  log.error({ reason, issues }, 'poison job: dead-lettered (failed), not retried');
  throw new UnrecoverableError(`${RulesWorkerErrorCode.PoisonJob}: ${reason}`);
}

async function cacheReady(ctx: ProcessorContext, retry: RetryContext): Promise<void> {
  if (ctx.cache.isReady) return;
  await untilDone(
    'rules',
    async () => {
      await Promise.race([ctx.cache.ready(), new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }))]);
      if (!ctx.cache.isReady && !ctx.signal.aborted) throw new Error('rules not loaded yet');
    },
    retry,
  );
  if (!ctx.cache.isReady) throw new RulesWorkerError(RulesWorkerErrorCode.Stopping, 'stopping before the rules were loaded');
}

function parseState(json: string | undefined, ruleId: string, log: Logger): RuleState | undefined {
  if (json === undefined) return undefined;
  try {
    const r = RuleStateSchema.safeParse(JSON.parse(json));
    if (r.success && r.data.ruleId === ruleId) return r.data;
  } catch {
    // falls through: a state we cannot read is replaced by a fresh one
  }
  log.warn({ ruleId }, 'stored rule state unreadable (other layout?); starting the rule afresh');
  return undefined;
}

/**
 * The rule to evaluate against a stored state: the cached one, or, when the state is of a newer
 * version than the cache (another worker got the change first), the rule reloaded. Never migrate
 * a state back to an older version: undefined means skip.
 */
async function ruleForState(
  ctx: ProcessorContext,
  c: CachedRule,
  state: RuleState | undefined,
  retry: RetryContext,
  log: Logger,
): Promise<CachedRule | undefined> {
  if (!state || state.ruleVersion <= c.rule.version) return c;
  const fresh = await untilDone('rules', () => ctx.cache.reload(c.rule.id), retry);
  if (!fresh || fresh.rule.version < state.ruleVersion) {
    log.warn({ ruleId: c.rule.id, stateVersion: state.ruleVersion }, 'rule state is newer than the stored rule; rule skipped');
    return undefined;
  }
  return fresh;
}

function verifiedOf(ctx: ProcessorContext, p: number): Map<string, number> {
  let m = ctx.verified.get(p);
  if (!m) {
    m = new Map();
    ctx.verified.set(p, m);
  }
  return m;
}

/**
 * Evaluates the rules, then makes the outcome durable in this order:
 * 1. transitions → alarm store (one transaction, idempotent by transition id);
 * 2. committed events → `alarm-events` queue and live channel (idempotent by seq / event id);
 * 3. engine states and last-evaluated times → Redis, fenced by the job's lock;
 * and only then does the job complete. A crash between any two steps re-runs the job from the
 * old state with the same inputs and `now`: the same transition ids come out, the store finds
 * them (`duplicate`) and returns the events it has, which are published again. No transition
 * is stored twice and none is lost. Publishing before the state write matters: after the state
 * write a re-run skips the inputs as already evaluated and would find nothing to publish.
 */
async function evaluateAndCommit(
  ctx: ProcessorContext,
  p: number,
  fence: { lockKey: string; token: string },
  work: readonly Work[],
  stored: StoredStates,
  last: ReadonlyMap<string, readonly number[]>,
  trigger: 'data' | 'tick',
  log: Logger,
  retry: RetryContext,
): Promise<{ transitions: number; events: number }> {
  const transitions: AlarmTransition[] = [];
  const writes: StateWrite[] = [];
  for (const w of work) {
    const state = parseState(stored.states.get(w.c.rule.id), w.c.rule.id, log);
    const c = await ruleForState(ctx, w.c, state, retry, log);
    if (!c) continue;
    try {
      const res = evaluateRule(c.rule, state, w.inputs, w.now);
      ctx.metrics.evaluations.inc({ trigger });
      transitions.push(...res.transitions);
      writes.push({ ruleId: c.rule.id, json: JSON.stringify(res.state), version: c.rule.version, dueAt: res.nextDueAt });
    } catch (err) {
      // The engine is pure: the same call would throw again. Skip the rule for this job, keep its state.
      ctx.metrics.engineErrors.inc();
      log.error({ err, ruleId: c.rule.id, ruleVersion: c.rule.version }, 'rule evaluation failed; rule skipped for this job');
    }
  }

  let newEvents = 0;
  if (transitions.length > 0) {
    // Stable: each subject's transitions stay in order; across rules, events are filed in time order.
    transitions.sort((a, b) => a.at - b.at);
    for (const t of transitions) ctx.metrics.transitions.inc({ kind: t.kind });
    const items: AlarmInputItem[] = transitions.map((t) => ({ key: { ruleId: t.ruleId, subject: t.subject }, input: { type: 'transition', transition: t } }));
    const res = await untilDone('alarms', () => applyAlarmInputs(ctx.pool, items, ctx.now()), retry);
    for (const r of res.refusals) {
      ctx.metrics.refusals.inc({ code: r.code });
      const t = transitions[r.index];
      log.info({ code: r.code, transitionId: t?.id, ruleId: t?.ruleId, subject: t?.subject, kind: t?.kind }, 'transition refused by the alarm store');
    }
    for (const e of res.events) ctx.metrics.events.inc({ type: e.type });
    newEvents = res.events.length;
    const toPublish: AlarmEvent[] = [...res.events, ...res.duplicateEvents].sort((a, b) => a.seq - b.seq);
    if (res.duplicateEvents.length > 0)
      log.info({ events: res.duplicateEvents.length }, 'transitions already stored (job re-run); publishing their events again');
    if (toPublish.length > 0) await untilDone('publish', () => ctx.publisher.publish(toPublish), retry);
  }

  const ok = await untilDone('state', () => ctx.store.commit(p, fence, writes, last), retry);
  if (!ok) throw new RulesWorkerError(RulesWorkerErrorCode.LockLost, 'job lock lost before the rule state was written; another worker has the job');
  const verified = verifiedOf(ctx, p);
  for (const w of writes) verified.set(w.ruleId, w.version);
  return { transitions: transitions.length, events: newEvents };
}

function inputsOf(m: Map<string, { c: CachedRule; readings: JobReading[]; positions: JobPosition[] }>, c: CachedRule) {
  let e = m.get(c.rule.id);
  if (!e) {
    e = { c, readings: [], positions: [] };
    m.set(c.rule.id, e);
  }
  return e;
}

async function evaluateJob(ctx: ProcessorContext, p: number, job: Job, fence: { lockKey: string; token: string }, log: Logger): Promise<JobOutcome> {
  const parsed = EvaluateJobSchema.safeParse(job.data);
  if (!parsed.success)
    poison(
      ctx,
      log,
      'evaluate',
      'payload is not an evaluation job',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  const data = parsed.data;
  if (data.partition !== p) poison(ctx, log, 'evaluate', `job of partition ${data.partition} in the queue of partition ${p}`);
  const retry = retryOf(ctx, log);
  await cacheReady(ctx, retry);
  const pr = ctx.cache.rulesFor(p);

  // Which rules each position goes to (one vehicle's rules, and fleet rules of its enterprise).
  const rulesOfVehicle = new Map<string, readonly CachedRule[]>();
  for (const pos of data.positions) {
    if (rulesOfVehicle.has(pos.vehicleId)) continue;
    const own = pr.byVehicle.get(pos.vehicleId) ?? [];
    let fleet: readonly CachedRule[] = [];
    if (pr.fleetByEnterprise.size > 0) {
      const ent = await untilDone('rules', () => ctx.cache.enterpriseOfVehicle(pos.vehicleId), retry);
      fleet = ent === undefined ? [] : (pr.fleetByEnterprise.get(ent) ?? []);
    }
    rulesOfVehicle.set(pos.vehicleId, [...own, ...fleet]);
  }
  const fields = new Set<string>();
  const candidates = new Set<CachedRule>();
  for (const r of data.readings) {
    const rs = pr.byPoint.get(r.pointId);
    if (!rs) continue;
    fields.add(`pt:${r.pointId}`);
    for (const c of rs) candidates.add(c);
  }
  for (const pos of data.positions) {
    const rs = rulesOfVehicle.get(pos.vehicleId) ?? [];
    if (rs.length === 0) continue;
    fields.add(`veh:${pos.vehicleId}`);
    for (const c of rs) candidates.add(c);
  }
  if (candidates.size === 0) return { type: 'evaluate', outcome: 'no_rules', transitions: 0, events: 0 };

  const stored = await untilDone(
    'redis-read',
    () =>
      ctx.store.read(
        p,
        [...candidates].map((c) => c.rule.id),
        [...fields],
      ),
    retry,
  );

  // Evaluate only what is newer than the newest input evaluated for its point / vehicle (rule
  // state is time-ordered). What is not is either already evaluated (a redelivered MQTT message
  // makes a second job with the same readings, a re-run job carries inputs its first run
  // evaluated) or late (a device uploading out of order): input-recency.ts tells them apart.
  const taken = new Map<string, number[]>();
  const seen = new Set<string>();
  const perRule = new Map<string, { c: CachedRule; readings: JobReading[]; positions: JobPosition[] }>();
  let fresh = 0;
  let redelivered = 0;
  const late: Array<{ field: string; ts: number; newest: number; reason: 'late' | 'late_or_redelivered' }> = [];
  const take = (field: string, ts: number): boolean => {
    const recent = stored.recent.get(field) ?? [];
    const verdict = seen.has(`${field}@${ts}`) ? 'redelivered' : classifyInput(recent, ts);
    if (verdict === 'redelivered') redelivered++;
    else if (verdict !== 'fresh') late.push({ field, ts, newest: recent.at(-1) ?? ts, reason: verdict });
    if (verdict !== 'fresh') return false;
    seen.add(`${field}@${ts}`);
    const t = taken.get(field);
    if (t) t.push(ts);
    else taken.set(field, [ts]);
    fresh++;
    return true;
  };
  for (const r of data.readings) {
    const rs = pr.byPoint.get(r.pointId);
    if (!rs || !take(`pt:${r.pointId}`, r.ts)) continue;
    for (const c of rs) inputsOf(perRule, c).readings.push(r);
  }
  for (const pos of data.positions) {
    const rs = rulesOfVehicle.get(pos.vehicleId) ?? [];
    if (rs.length === 0 || !take(`veh:${pos.vehicleId}`, pos.ts)) continue;
    for (const c of rs) inputsOf(perRule, c).positions.push(pos);
  }
  ctx.metrics.readings.inc(fresh);
  if (redelivered > 0) {
    ctx.metrics.skipped.inc(redelivered);
    log.debug({ skipped: redelivered }, 'inputs already evaluated (redelivered), skipped');
  }
  if (late.length > 0) reportLate(ctx, log, late);
  const last = new Map<string, number[]>();
  for (const [field, ts] of taken) last.set(field, rememberInputs(stored.recent.get(field) ?? [], ts));
  // A rule's time moves to its latest input; the tick moves it on when no data comes. Both are
  // fixed by the job, so a re-run evaluates at the same `now`.
  const work: Work[] = [...perRule.values()].map(({ c, readings, positions }) => {
    let now = Number.NEGATIVE_INFINITY;
    for (const r of readings) if (r.ts > now) now = r.ts;
    for (const x of positions) if (x.ts > now) now = x.ts;
    return { c, inputs: { readings, positions }, now };
  });
  const res = await evaluateAndCommit(ctx, p, fence, work, stored, last, 'data', log, retry);
  ctx.metrics.lagSeconds.observe(Math.max(0, ctx.now() - data.committedAt) / 1000);
  return { type: 'evaluate', outcome: 'ok', ...res };
}

/** Counts late inputs by reason, and warns about them (rate-limited) with the worst lag of the job. */
function reportLate(
  ctx: ProcessorContext,
  log: Logger,
  late: ReadonlyArray<{ field: string; ts: number; newest: number; reason: 'late' | 'late_or_redelivered' }>,
): void {
  let worst = late[0];
  for (const l of late) {
    ctx.metrics.late.inc({ reason: l.reason });
    if (worst && l.newest - l.ts > worst.newest - worst.ts) worst = l;
  }
  const gate = ctx.lateLog.take(ctx.now(), late.length);
  if (!gate.log || !worst) return;
  const [kind, id] = worst.field.startsWith('pt:') ? ['point', Number(worst.field.slice(3))] : ['vehicle', worst.field.slice(4)];
  log.warn(
    {
      [kind === 'point' ? 'pointId' : 'vehicleId']: id,
      ts: worst.ts,
      newestEvaluated: worst.newest,
      lagMs: worst.newest - worst.ts,
      reason: worst.reason,
      lateInJob: late.length,
      heldBackBefore: gate.suppressed,
    },
    `late ${kind === 'point' ? 'reading' : 'position'} skipped: older than the newest evaluated of its ${kind} (rule state is time-ordered)`,
  );
}

async function tickJob(ctx: ProcessorContext, p: number, job: Job, fence: { lockKey: string; token: string }, log: Logger): Promise<JobOutcome> {
  const parsed = TickJobSchema.safeParse(job.data);
  if (!parsed.success) poison(ctx, log, 'tick', 'payload is not a tick job');
  const at = parsed.data.at;
  const retry = retryOf(ctx, log);
  // A later tick is queued behind this one: it fires every deadline up to its own time anyway.
  const latest = await untilDone('redis-read', () => ctx.store.latestTick(p), retry);
  if (latest !== null && latest > at) return { type: 'tick', outcome: 'superseded', transitions: 0, events: 0 };
  await cacheReady(ctx, retry);
  const pr = ctx.cache.rulesFor(p);
  if (pr.rules.length === 0) return { type: 'tick', outcome: 'no_rules', transitions: 0, events: 0 };
  const now = at - ctx.tickLagMs;

  // Evaluate the rules something is due for, and those whose stored state is of another
  // version (a rule change takes effect at the next tick even with no data) or missing (a new
  // rule starts counting silence from now).
  const due = new Set(await untilDone('redis-read', () => ctx.store.due(p, now), retry));
  const verified = verifiedOf(ctx, p);
  const unknown = pr.rules.filter((c) => verified.get(c.rule.id) !== c.rule.version).map((c) => c.rule.id);
  if (unknown.length > 0) {
    const versions = await untilDone('redis-read', () => ctx.store.versions(p, unknown), retry);
    const byId = new Map(pr.rules.map((c) => [c.rule.id, c]));
    for (const id of unknown) {
      const c = byId.get(id);
      if (c && versions.get(id) === c.rule.version) verified.set(id, c.rule.version);
      else due.add(id);
    }
  }
  const work: Work[] = pr.rules.filter((c) => due.has(c.rule.id)).map((c) => ({ c, inputs: NO_INPUTS, now }));
  if (work.length === 0) return { type: 'tick', outcome: 'ok', transitions: 0, events: 0 };
  const stored = await untilDone(
    'redis-read',
    () =>
      ctx.store.read(
        p,
        work.map((w) => w.c.rule.id),
        [],
      ),
    retry,
  );
  const res = await evaluateAndCommit(ctx, p, fence, work, stored, new Map(), 'tick', log, retry);
  return { type: 'tick', outcome: 'ok', ...res };
}

/**
 * A person's latch reset, in the rule's partition, in order with its evaluations: the engine's
 * `resetLatch` decides (refused while the condition is active or unknown), then its transitions
 * and the person's `reset` go to the alarm store together or not at all, then the events are
 * published and the engine state written. The engine announced the latching `clear` when the
 * condition went (the alarm is `latched`), so its transitions are usually none: only a deadline
 * due by the reset time (an off-delay completing), or the clear of a latch stored before the
 * engine announced it. A re-run finds the reset stored and answers the same.
 */
async function resetJob(ctx: ProcessorContext, p: number, job: Job, fence: { lockKey: string; token: string }, log: Logger): Promise<JobOutcome> {
  const parsed = ResetJobSchema.safeParse(job.data);
  if (!parsed.success) poison(ctx, log, 'reset', 'payload is not a reset job');
  const d = parsed.data;
  const refused = (code: string, message: string): JobOutcome => ({
    type: 'reset',
    outcome: 'refused',
    transitions: 0,
    events: 0,
    reset: { ok: false, code, message },
  });
  const retry = retryOf(ctx, log);
  await cacheReady(ctx, retry);
  const cached = ctx.cache.get(d.ruleId);
  if (!cached) return refused(RulesWorkerErrorCode.ResetRuleUnknown, `rule ${d.ruleId} is not live`);
  const home = cached.fleet
    ? d.subject.startsWith('vehicle:')
      ? partitionOf(vehicleKey(d.subject.slice('vehicle:'.length)), ctx.partitions)
      : -1
    : partitionOf(cached.partitionKey, ctx.partitions);
  if (home !== p) return refused(RulesWorkerErrorCode.ResetWrongPartition, `rule ${d.ruleId} subject ${d.subject} is evaluated in partition ${home}`);

  const stored = await untilDone('redis-read', () => ctx.store.read(p, [d.ruleId], []), retry);
  const state = parseState(stored.states.get(d.ruleId), d.ruleId, log);
  const c = await ruleForState(ctx, cached, state, retry, log);
  if (!c) return refused(RulesWorkerErrorCode.ResetRuleUnknown, `rule ${d.ruleId} is behind its state`);
  const decided = resetLatch(c.rule, state, d.requestedAt, { subject: d.subject });
  if (!decided.ok) {
    // A re-run after the reset went through: the engine has nothing latched any more.
    const done = await untilDone('alarms', () => listEventsOfInput(ctx.pool, d.eventId), retry);
    if (done.length > 0) {
      await untilDone('publish', () => ctx.publisher.publish(done), retry);
      return {
        type: 'reset',
        outcome: 'ok',
        transitions: 0,
        events: 0,
        reset: { ok: true, alarmId: done[0]?.alarmId ?? null, eventIds: done.map((e) => e.id) },
      };
    }
    return refused(decided.code, decided.message);
  }
  const items: AlarmInputItem[] = [
    ...decided.transitions.map((t): AlarmInputItem => ({ key: { ruleId: t.ruleId, subject: t.subject }, input: { type: 'transition', transition: t } })),
    {
      key: { ruleId: d.ruleId, subject: d.subject },
      input: { type: 'reset', eventId: d.eventId, actor: d.actor, ...(d.reason !== undefined ? { reason: d.reason } : {}) },
    },
  ];
  const res = await untilDone('alarms', () => applyAlarmInputs(ctx.pool, items, d.requestedAt, { requireApplied: [items.length - 1] }), retry);
  const mine = res.results.at(-1);
  if (!mine || mine.status === 'refused')
    return refused(mine?.status === 'refused' ? mine.code : 'HW_ALARM_NOT_FOUND', mine?.status === 'refused' ? mine.message : 'no alarm');
  for (const t of decided.transitions) ctx.metrics.transitions.inc({ kind: t.kind });
  for (const e of res.events) ctx.metrics.events.inc({ type: e.type });
  const toPublish = [...res.events, ...res.duplicateEvents].sort((a, b) => a.seq - b.seq);
  if (toPublish.length > 0) await untilDone('publish', () => ctx.publisher.publish(toPublish), retry);
  // No deadline hint from a reset: the next tick re-evaluates the rule and sets it.
  const write = { ruleId: c.rule.id, json: JSON.stringify(decided.state), version: c.rule.version, dueAt: d.requestedAt };
  const ok = await untilDone('state', () => ctx.store.commit(p, fence, [write], new Map()), retry);
  if (!ok) throw new RulesWorkerError(RulesWorkerErrorCode.LockLost, 'job lock lost before the rule state was written; another worker has the job');
  verifiedOf(ctx, p).set(c.rule.id, c.rule.version);
  return {
    type: 'reset',
    outcome: 'ok',
    transitions: decided.transitions.length,
    events: res.events.length,
    reset: { ok: true, alarmId: mine.alarm?.id ?? null, eventIds: toPublish.map((e) => e.id) },
  };
}

/**
 * Handles one job of partition `p` (BullMQ processor). Poison jobs throw `UnrecoverableError`;
 * when the worker stops mid-job the job goes back to the head of its queue (`WaitingError`),
 * so nothing behind it overtakes it.
 */
export async function processPartitionJob(ctx: ProcessorContext, p: number, job: Job, token: string | undefined): Promise<JobOutcome> {
  const type = job.name === TICK_JOB_NAME ? 'tick' : job.name === RESET_JOB_NAME ? 'reset' : 'evaluate';
  const log = ctx.log.child({ partition: p, jobId: job.id, type });
  const fence = { lockKey: `${ctx.prefix}:${QueueNames.evaluate(p)}:${job.id ?? ''}:lock`, token: token ?? '' };
  const started = performance.now();
  try {
    const out =
      type === 'tick'
        ? await tickJob(ctx, p, job, fence, log)
        : type === 'reset'
          ? await resetJob(ctx, p, job, fence, log)
          : await evaluateJob(ctx, p, job, fence, log);
    ctx.metrics.jobs.inc({ type, outcome: out.outcome });
    ctx.metrics.jobSeconds.observe({ type }, (performance.now() - started) / 1000);
    if (out.transitions > 0) log.debug({ transitions: out.transitions, events: out.events }, 'job evaluated');
    return out;
  } catch (err) {
    if (err instanceof RulesWorkerError && err.code === RulesWorkerErrorCode.Stopping) {
      ctx.metrics.jobs.inc({ type, outcome: 'requeued' });
      // Back to the head of the queue. If Redis cannot take that now, the lock runs out and
      // the stalled-job check puts it back the same way.
      if (token !== undefined) await job.moveToWait(token).catch((e: unknown) => log.warn({ err: e }, 'could not put the job back; it will stall back'));
      throw new WaitingError();
    }
    if (!(err instanceof UnrecoverableError)) {
      ctx.metrics.jobs.inc({ type, outcome: err instanceof RulesWorkerError ? 'lock_lost' : 'failed' });
      log.error({ err }, 'job failed');
    }
    throw err;
  }
}
