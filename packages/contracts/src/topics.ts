import { z } from 'zod';
import { DeviceIdSchema, EnterpriseIdSchema } from './ids.js';

export const TOPIC_ROOT = 'hw/v1';
export const MessageFamilySchema = z.enum(['telemetry', 'position', 'status']);
export type MessageFamily = z.infer<typeof MessageFamilySchema>;

/** `hw/v1/{enterpriseId}/{deviceId}/{family}`; for `position` the device id is the vehicle id. */
export const TopicSchema = z
  .string()
  .transform((topic, ctx) => {
    const parts = topic.split('/');
    if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) {
      ctx.addIssue({ code: 'custom', message: `topic must be ${TOPIC_ROOT}/{enterpriseId}/{deviceId}/{telemetry|position|status}` });
      return z.NEVER;
    }
    return { enterpriseId: parts[2], deviceId: parts[3], family: parts[4] };
  })
  .pipe(z.object({ enterpriseId: EnterpriseIdSchema, deviceId: DeviceIdSchema, family: MessageFamilySchema }));
export type Topic = z.infer<typeof TopicSchema>;

export function topicFor(enterpriseId: string, deviceId: string, family: MessageFamily, prefix = ''): string {
  return `${prefix}${TOPIC_ROOT}/${enterpriseId}/${deviceId}/${family}`;
}

/**
 * Subscription filter for ingest: everything under the root, so a message on a
 * malformed topic (wrong depth, unknown family) still reaches ingest and gets a
 * dead letter instead of vanishing. `group` makes it a shared subscription.
 */
export function ingestSubscriptions(group: string | undefined, prefix = ''): string[] {
  const filter = `${prefix}${TOPIC_ROOT}/#`;
  return [group ? `$share/${group}/${filter}` : filter];
}
