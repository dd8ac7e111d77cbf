import { randomBytes } from 'node:crypto';
import { HazardError, safeUrl } from '@hazardwatch/observability';
import mqtt, { type MqttClient } from 'mqtt';
import { z } from 'zod';
import {
  CONTROL_TOPIC,
  DefaultAclAccessSchema,
  DynsecClientSchema,
  type DynsecCommand,
  DynsecGroupSchema,
  DynsecRoleSchema,
  type DynsecState,
} from './dynsec.js';

export type DynsecControlErrorCode =
  /** No broker answered at the address (refused, unknown host, timeout): it is not running, or not reachable from here. */
  | 'HW_BROKER_AUTH_BROKER_UNREACHABLE'
  /** The broker answered and refused the admin account's CONNECT or its subscription to the responses. */
  | 'HW_BROKER_AUTH_ADMIN_REFUSED'
  /** The plugin did not answer in time (not loaded, or the admin may not publish to $CONTROL). */
  | 'HW_BROKER_AUTH_DYNSEC_TIMEOUT'
  /** The plugin answered a command with an error, or with something that is not its response format. */
  | 'HW_BROKER_AUTH_DYNSEC_COMMAND';

export class DynsecControlError extends HazardError {
  declare readonly code: DynsecControlErrorCode;
  // biome-ignore lint/complexity/noUselessConstructor: it narrows `code` to the stable codes at the call sites
  constructor(code: DynsecControlErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

const ResponseSchema = z.object({
  responses: z.array(z.object({ command: z.string(), error: z.string().optional(), correlationData: z.string().optional(), data: z.unknown().optional() })),
});
type Response = z.infer<typeof ResponseSchema>['responses'][number];

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE']);

/** The plugin writes its whole file after every changing command: batches keep a publish well under max_packet_size. */
const BATCH = 200;
const PAGE = 1000;

export interface DynsecControl {
  /** Send commands (in batches) and return the plugin's answers in the same order; an error answer throws. */
  run(commands: readonly DynsecCommand[]): Promise<Response[]>;
  /** Everything the plugin holds now (listing commands, paged). */
  readState(): Promise<DynsecState>;
  close(): Promise<void>;
}

/**
 * A connection to the running broker as the dynsec admin account. Answers are matched to
 * commands by correlationData with a per-run random prefix, since the plugin publishes each
 * answer to every subscriber of the response topic.
 */
export async function openDynsecControl(o: { url: string; username: string; password: string; timeoutMs?: number }): Promise<DynsecControl> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const client = await connect(o, timeoutMs);
  const pending = new Map<string, (r: Response) => void>();
  client.on('message', (topic, payload) => {
    if (topic !== `${CONTROL_TOPIC}/response`) return;
    let parsed: z.infer<typeof ResponseSchema>;
    try {
      parsed = ResponseSchema.parse(JSON.parse(payload.toString('utf8')));
    } catch {
      return; // Not an answer we can match; the waiting request times out with a clear error.
    }
    for (const r of parsed.responses) if (r.correlationData) pending.get(r.correlationData)?.(r);
  });
  try {
    const granted = await client.subscribeAsync(`${CONTROL_TOPIC}/response`, { qos: 0 });
    if (granted.some((g) => g.qos > 2))
      throw new DynsecControlError(
        'HW_BROKER_AUTH_ADMIN_REFUSED',
        `the broker refused ${o.username} the subscription to ${CONTROL_TOPIC}/response (no admin role in the plugin? stop the broker and run broker-auth: it then rewrites the plugin's file)`,
      );
  } catch (err) {
    await client.endAsync(true).catch(() => undefined);
    throw err instanceof DynsecControlError
      ? err
      : new DynsecControlError(
          'HW_BROKER_AUTH_ADMIN_REFUSED',
          `subscribing to ${CONTROL_TOPIC}/response failed (no admin role in the plugin? stop the broker and run broker-auth: it then rewrites the plugin's file)`,
          { cause: err },
        );
  }

  const run1 = randomBytes(6).toString('hex');
  let seq = 0;
  const batch = async (commands: readonly DynsecCommand[]): Promise<Response[]> => {
    const ids = commands.map(() => `${run1}-${seq++}`);
    const answers = new Map<string, Response>();
    const done = new Promise<void>((resolve) => {
      for (const id of ids)
        pending.set(id, (r) => {
          answers.set(id, r);
          if (answers.size === ids.length) resolve();
        });
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await client.publishAsync(CONTROL_TOPIC, JSON.stringify({ commands: commands.map((c, i) => ({ ...c, correlationData: ids[i] })) }), { qos: 1 });
      await Promise.race([
        done,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new DynsecControlError(
                  'HW_BROKER_AUTH_DYNSEC_TIMEOUT',
                  `the dynamic security plugin answered ${answers.size} of ${ids.length} commands within ${timeoutMs} ms (is it loaded, and may ${o.username} publish to ${CONTROL_TOPIC}?)`,
                ),
              ),
            timeoutMs,
          );
        }),
      ]);
    } catch (err) {
      if (err instanceof DynsecControlError) throw err;
      throw new DynsecControlError('HW_BROKER_AUTH_DYNSEC_COMMAND', `publishing to ${CONTROL_TOPIC} failed`, { cause: err });
    } finally {
      clearTimeout(timer);
      for (const id of ids) pending.delete(id);
    }
    const out = ids.map((id) => answers.get(id) as Response);
    const failed = out.map((r, i) => ({ r, c: commands[i] as DynsecCommand })).filter((x) => x.r.error !== undefined);
    if (failed.length > 0)
      throw new DynsecControlError(
        'HW_BROKER_AUTH_DYNSEC_COMMAND',
        `the dynamic security plugin refused ${failed.length} command(s): ${failed
          .slice(0, 5)
          .map((x) => `${x.c.command} ${String(x.c.username ?? x.c.rolename ?? x.c.groupname ?? '')}: ${x.r.error}`)
          .join('; ')}`,
      );
    return out;
  };

  const run = async (commands: readonly DynsecCommand[]) => {
    const out: Response[] = [];
    for (let i = 0; i < commands.length; i += BATCH) out.push(...(await batch(commands.slice(i, i + BATCH))));
    return out;
  };

  const list = async <T>(command: string, key: string, item: z.ZodType<T>): Promise<T[]> => {
    const Page = z.object({ totalCount: z.number().int().nonnegative(), items: z.array(item) });
    const out: T[] = [];
    for (;;) {
      const [r] = await run([{ command, verbose: true, count: PAGE, offset: out.length }]);
      const raw = (r?.data ?? {}) as Record<string, unknown>;
      const page = Page.safeParse({ totalCount: raw.totalCount, items: raw[key] });
      if (!page.success) throw new DynsecControlError('HW_BROKER_AUTH_DYNSEC_COMMAND', `${command}: unexpected answer: ${page.error.message}`);
      out.push(...page.data.items);
      if (page.data.items.length === 0 || out.length >= page.data.totalCount) return out;
    }
  };

  return {
    run,
    async readState() {
      const [d] = await run([{ command: 'getDefaultACLAccess' }]);
      const acls = z.object({ acls: z.array(z.object({ acltype: z.string(), allow: z.boolean() })) }).safeParse(d?.data);
      if (!acls.success) throw new DynsecControlError('HW_BROKER_AUTH_DYNSEC_COMMAND', `getDefaultACLAccess: unexpected answer: ${acls.error.message}`);
      const defaultACLAccess = DefaultAclAccessSchema.parse(Object.fromEntries(acls.data.acls.map((a) => [a.acltype, a.allow])));
      return {
        defaultACLAccess,
        roles: await list('listRoles', 'roles', DynsecRoleSchema),
        clients: await list('listClients', 'clients', DynsecClientSchema),
        groups: await list('listGroups', 'groups', DynsecGroupSchema),
      };
    },
    async close() {
      await client.endAsync();
    },
  };
}

/** CONNECT as the admin account; a network failure and a refused login are different errors (the caller may fall back on the first). */
function connect(o: { url: string; username: string; password: string }, timeoutMs: number): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(o.url, {
      protocolVersion: 5,
      clean: true,
      clientId: `hw-broker-auth-${randomBytes(4).toString('hex')}`,
      username: o.username,
      password: o.password,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
    });
    let settled = false;
    const fail = (err: DynsecControlError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new DynsecControlError('HW_BROKER_AUTH_BROKER_UNREACHABLE', `no answer from the broker at ${safeUrl(o.url)} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    client.once('connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.on('error', () => undefined);
      resolve(client);
    });
    client.on('error', (err: Error & { code?: string | number }) => {
      if (typeof err.code === 'number')
        fail(new DynsecControlError('HW_BROKER_AUTH_ADMIN_REFUSED', `the broker refused ${o.username}'s CONNECT (reason ${err.code})`, { cause: err }));
      else if (typeof err.code === 'string' && UNREACHABLE.has(err.code))
        fail(new DynsecControlError('HW_BROKER_AUTH_BROKER_UNREACHABLE', `no broker at ${safeUrl(o.url)} (${err.code})`, { cause: err }));
      else fail(new DynsecControlError('HW_BROKER_AUTH_ADMIN_REFUSED', `connecting to ${safeUrl(o.url)} failed: ${err.message}`, { cause: err }));
    });
    client.once('close', () => fail(new DynsecControlError('HW_BROKER_AUTH_BROKER_UNREACHABLE', `the connection to ${safeUrl(o.url)} closed before CONNACK`)));
  });
}
