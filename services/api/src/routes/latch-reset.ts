import { ALARM_ERROR_CODES, type AlarmErrorCode } from '@hazardwatch/alarms';
import type { Alarm, AlarmEvent } from '@hazardwatch/contracts';
import { getAlarm, getCurrentRule, listAlarmEvents, listEventsOfInput } from '@hazardwatch/db';
import { RulesWorkerError, RulesWorkerErrorCode, requestLatchReset } from '@hazardwatch/rules-worker';
import { ApiError, isLatchResetErrorCode } from '../errors.js';
import type { RouteContext } from './context.js';

/** Default wait for the rules worker's answer. */
const DEFAULT_RESET_TIMEOUT_MS = 15_000;
/** Beyond the worker's own timeout (at most as long again): covers a Redis that does not answer (commands wait while it is down). */
const REDIS_GRACE_MS = 5_000;

const ALARM_CODES: ReadonlySet<string> = new Set(ALARM_ERROR_CODES);

export interface ResetResult {
  alarm: Alarm;
  events: AlarmEvent[];
  duplicate: boolean;
}

/** A refusal of the rules worker as an API error: the engine's and the worker's codes, the alarm store's codes. */
function refusal(code: string, message: string, log: { error(obj: object, msg: string): void }): ApiError {
  if (isLatchResetErrorCode(code)) return new ApiError(code, message);
  if (ALARM_CODES.has(code)) return new ApiError(code as AlarmErrorCode, message);
  if (code === RulesWorkerErrorCode.ResetWrongPartition) {
    // The API's partition count differs from the workers' (EVAL_PARTITIONS): a deployment error.
    log.error({ code }, 'latch reset sent to the wrong partition: the API and the rules workers disagree on EVAL_PARTITIONS');
    return new ApiError('HW_API_INTERNAL', 'internal error');
  }
  if (code === 'HW_DB_ALARM_ENTERPRISE_NOT_FOUND') return new ApiError('HW_API_NOT_FOUND', 'alarm not found');
  return new ApiError('HW_API_CONFLICT', message);
}

/**
 * A person resets a rule's latched alarm. The latch lives in two places that must agree, the
 * engine's state (rules worker, Redis) and the alarm row, so the reset is a job in the rule's
 * partition queue (`requestLatchReset`), decided in order with the readings: refused while the
 * condition is active (`HW_RULES_RESET_CONDITION_ACTIVE`) or unknown, otherwise the engine's clear
 * and the person's reset are stored together and published by the worker. Applying `reset` to the
 * alarm store directly would leave the engine latched.
 *
 * Returns null for an alarm no engine holds a latch for (no rule, or its rule no longer stored):
 * the alarm store alone decides then. Idempotent by `eventId`: a reset already stored answers
 * its events again as a duplicate.
 */
export async function resetRuleAlarm(
  ctx: RouteContext,
  alarm: Alarm,
  input: { eventId: string; actor: string; reason?: string | undefined },
  log: { error(obj: object, msg: string): void },
): Promise<ResetResult | null> {
  if (alarm.ruleId === null) return null;
  const rule = await getCurrentRule(ctx.pool, alarm.ruleId);
  if (!rule) return null;
  // Fixed when the alarm was raised: no need to ask the worker.
  if (!alarm.latching) throw new ApiError('HW_ALARM_NOT_LATCHING', 'only a latching alarm is reset');
  const done = await listEventsOfInput(ctx.pool, input.eventId);
  const first = done[0];
  if (first) return { alarm: (await getAlarm(ctx.pool, first.alarmId)) ?? alarm, events: done, duplicate: true };
  if (alarm.state === 'normal') throw new ApiError('HW_ALARM_CLOSED', 'the alarm is closed: nothing to reset');
  const queues = ctx.latchReset;
  if (!queues)
    throw new ApiError(
      'HW_API_LATCH_RESET_UNAVAILABLE',
      'a rule’s latched alarm is reset through the rules worker, and this API is not connected to its queues; retry later',
    );

  const timeoutMs = queues.timeoutMs ?? DEFAULT_RESET_TIMEOUT_MS;
  const pending = requestLatchReset(
    { connection: queues.connection, prefix: queues.prefix, partitions: queues.partitions, timeoutMs },
    {
      partitionKey: rule.partitionKey,
      ruleId: alarm.ruleId,
      subject: alarm.subject,
      eventId: input.eventId,
      actor: input.actor,
      requestedAt: ctx.clock.now(),
      ...(input.reason !== undefined ? { reason: input.reason } : {}),
    },
  );
  // After the deadline the request may still complete; its outcome is then read back by eventId, so a late failure has nobody to tell.
  pending.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new RulesWorkerError(RulesWorkerErrorCode.ResetTimeout, 'no answer to the reset request in time')),
      timeoutMs + Math.min(REDIS_GRACE_MS, timeoutMs),
    );
  });
  const outcome = await Promise.race([pending, deadline]).finally(() => clearTimeout(timer));
  if (!outcome.ok) throw refusal(outcome.code, outcome.message, log);

  const alarmId = outcome.alarmId ?? alarm.id;
  const ids = new Set(outcome.eventIds);
  // The engine's clear and the person's reset, stored together by the worker (an alarm holds far fewer events than this read).
  const events = (await listAlarmEvents(ctx.pool, alarmId, { limit: 10_000 })).filter((e) => ids.has(e.id));
  return { alarm: (await getAlarm(ctx.pool, alarmId)) ?? alarm, events, duplicate: false };
}
