import { AlarmTransitionSchema } from '@hazardwatch/contracts';
import { z } from 'zod';

/** Actor recorded on events that come from the rule engine. */
export const ENGINE_ACTOR = 'engine';
/** Actor recorded on events that come from a timer (shelve expiry). */
export const SYSTEM_ACTOR = 'system';

/**
 * Id of the event a person's action produces. The API chooses it (a UUID, or the
 * client's idempotency key) so that a retried request stores the event once.
 */
const EventIdSchema = z.string().min(1).max(200);
/** A person (user id) or, for suppression by design, the condition's owner (`system`, a rule id). */
const ActorSchema = z.string().min(1).max(200);
const ReasonSchema = z.string().min(1).max(1000);

/**
 * Everything that can happen to an alarm: a transition from the rule engine,
 * a person's action, or the shelve timer. The state machine
 * ({@link applyAlarmInput}) is the only place that knows what each does.
 */
export const AlarmInputSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('transition'),
    /** raise, level change or clear. Its `id` becomes the event id, so a retried job stores it once. */
    transition: AlarmTransitionSchema,
    /** Id for a new alarm (on a raise with no open alarm); defaults to the transition id. */
    alarmId: z.string().min(1).max(200).optional(),
  }),
  z.object({ type: z.literal('acknowledge'), eventId: EventIdSchema, actor: ActorSchema, comment: ReasonSchema.optional() }),
  z.object({ type: z.literal('comment'), eventId: EventIdSchema, actor: ActorSchema, text: ReasonSchema }),
  z.object({
    type: z.literal('shelve'),
    eventId: EventIdSchema,
    actor: ActorSchema,
    durationMs: z.number().int().positive(),
    reason: ReasonSchema,
  }),
  z.object({ type: z.literal('unshelve'), eventId: EventIdSchema, actor: ActorSchema, reason: ReasonSchema.optional() }),
  z.object({ type: z.literal('reset'), eventId: EventIdSchema, actor: ActorSchema, reason: ReasonSchema.optional() }),
  z.object({ type: z.literal('remove_from_service'), eventId: EventIdSchema, actor: ActorSchema, reason: ReasonSchema }),
  z.object({ type: z.literal('return_to_service'), eventId: EventIdSchema, actor: ActorSchema, reason: ReasonSchema.optional() }),
  z.object({ type: z.literal('suppress'), eventId: EventIdSchema, actor: ActorSchema, reason: ReasonSchema }),
  z.object({ type: z.literal('unsuppress'), eventId: EventIdSchema, actor: ActorSchema, reason: ReasonSchema.optional() }),
  /** The shelve timer fired; refused unless `now` has reached `shelvedUntil`. */
  z.object({ type: z.literal('shelve_expiry') }),
]);
export type AlarmInput = z.infer<typeof AlarmInputSchema>;
/** The `type` of an {@link AlarmInput}. */
export type AlarmInputType = AlarmInput['type'];

/** Options of the state machine; {@link DEFAULT_ALARM_MACHINE_OPTIONS} unless given. */
export const AlarmMachineOptionsSchema = z.object({
  /**
   * Longest shelve a person may ask for. Not a figure from ISA-18.2 or EEMUA 191
   * (both only say a shelve must be time-limited): 12 h, one long shift, is a house
   * default so that a shelve cannot become an unaudited way of taking an alarm out of service.
   */
  maxShelveMs: z
    .number()
    .int()
    .positive()
    .default(12 * 3_600_000),
});
export type AlarmMachineOptions = z.infer<typeof AlarmMachineOptionsSchema>;

/** The defaults of {@link AlarmMachineOptionsSchema}. */
export const DEFAULT_ALARM_MACHINE_OPTIONS: AlarmMachineOptions = Object.freeze(AlarmMachineOptionsSchema.parse({}));
