import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '@hazardwatch/alarms';
import { type AlarmEvent, type AlarmTransition, type Colour, type NewDispatchTarget, type WebhookBodyV1, WebhookBodyV1Schema } from '@hazardwatch/contracts';
import { applyAlarmInputs, createDispatchTarget, type Pool, type SecretBox, upsertEnterprise } from '@hazardwatch/db';
import { createDispatch, type Dispatch, type DispatchSettings, dispatchSettings } from '@hazardwatch/dispatch';
import { createLogger, type Logger } from '@hazardwatch/observability';
import { liveChannel, QueueNames, type Redis } from '@hazardwatch/queue';
import { Queue } from 'bullmq';

/** A signing secret of a test target (≥ 32 characters). */
export const secretOf = (name: string): string => `test-secret-${name}-0123456789abcdef0123456789`;

/** What a receiver saw in one request. */
export interface Received {
  n: number;
  at: number;
  key: string;
  eventType: string;
  raw: string;
  body: WebhookBodyV1 | null;
  signatureOk: boolean;
  status: number;
  headers: IncomingHttpHeaders;
}

/** How the receiver answers a new (not yet accepted) idempotency key; undefined = 204. */
export type Behaviour = (r: Received) => { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang' | undefined;

export interface Receiver {
  url: string;
  /** Every request, in arrival order. */
  requests: Received[];
  /** The first 2xx answer per idempotency key, in acceptance order. */
  accepted: Received[];
  /** Requests for a key already accepted (answered 200, ignored), as a real receiver does. */
  duplicates(): Received[];
  behave(b: Behaviour): void;
  close(): Promise<void>;
}

/**
 * A webhook receiver on a real local HTTP server, written the way the README tells
 * receivers to be: verify the signature over the raw bytes, answer 2xx and ignore a
 * key already seen, accept new keys according to `behaviour`.
 */
export async function startReceiver(secret: string, behaviour?: Behaviour): Promise<Receiver> {
  let behave: Behaviour = behaviour ?? (() => undefined);
  const requests: Received[] = [];
  const accepted: Received[] = [];
  const seen = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const sig = req.headers['x-hazardwatch-signature'];
      const check = verifyWebhookSignature({ header: typeof sig === 'string' ? sig : null, body: raw, secrets: secret, now: Date.now() });
      let body: WebhookBodyV1 | null = null;
      try {
        const parsed = WebhookBodyV1Schema.safeParse(JSON.parse(raw));
        body = parsed.success ? parsed.data : null;
      } catch {
        body = null;
      }
      const key = String(req.headers['idempotency-key'] ?? '');
      const r: Received = {
        n: requests.length,
        at: Date.now(),
        key,
        eventType: String(req.headers['x-hazardwatch-event-type'] ?? ''),
        raw,
        body,
        signatureOk: check.ok,
        status: 0,
        headers: req.headers,
      };
      requests.push(r);
      const answer = (status: number, headers: Record<string, string> = {}) => {
        r.status = status;
        res.writeHead(status, headers).end(status >= 400 ? `status ${status}` : '');
      };
      if (!check.ok) return answer(401);
      if (seen.has(key)) return answer(200);
      const b = behave(r);
      if (b === 'hang') return; // never answers: the sender's timeout must fire
      const status = b?.status ?? 204;
      const go = () => {
        if (status >= 200 && status < 300) {
          if (seen.has(key)) return answer(200);
          seen.add(key);
          accepted.push(r);
        }
        answer(status, b?.headers);
      };
      if (b?.delayMs) setTimeout(go, b.delayMs);
      else go();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    accepted,
    duplicates: () => requests.filter((r) => r.status === 200 && r.signatureOk),
    behave(b) {
      behave = b;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A target for a test receiver (local http allowed). */
export async function addTarget(
  pool: Pool,
  box: SecretBox,
  name: string,
  receiver: Receiver,
  scope: NewDispatchTarget['scope'],
  extra: Partial<NewDispatchTarget> = {},
): Promise<string> {
  const t = await createDispatchTarget(
    pool,
    box,
    {
      name,
      url: receiver.url,
      allowInsecureHttp: true,
      scope,
      minColour: 'blue',
      eventTypes: ['raised', 'level_changed', 'returned_to_normal', 'acknowledged', 'escalated', 'enterprise_offline', 'enterprise_online'],
      enabled: true,
      secret: secretOf(name),
      ...extra,
    },
    { id: name },
  );
  return t.id;
}

export async function addEnterprise(pool: Pool, id: string, regionCode: string): Promise<void> {
  await upsertEnterprise(pool, { id, name: `Plant ${id}`, regionCode });
}

/** A raise, level change or clear of a gas alarm, as the rule engine would send. */
export function transition(
  id: string,
  enterpriseId: string,
  subject: string,
  kind: AlarmTransition['kind'],
  colour: Colour | null = 'orange',
  at = Date.now(),
): AlarmTransition {
  return {
    id,
    ruleId: `gas-lel-${enterpriseId}`,
    ruleVersion: 1,
    subject,
    enterpriseId,
    hazardSourceId: null,
    vehicleId: null,
    pointIds: [],
    kind,
    category: 'process',
    level: kind === 'clear' ? null : 'L1',
    colour: kind === 'clear' ? null : colour,
    latching: false,
    value: kind === 'clear' ? 3 : 27.5,
    at,
    message: `combustible gas at ${subject}`,
  };
}

/**
 * A producer as the rules-worker contract has it: commit through the alarm store,
 * then a job on the alarm-events queue (job id `ae-<seq>`) and the JSON on the live channel.
 */
export class Producer {
  readonly queue: Queue;
  constructor(
    readonly pool: Pool,
    readonly redis: Redis,
    readonly prefix: string,
  ) {
    this.queue = new Queue(QueueNames.alarmEvents, { connection: redis, prefix });
  }

  /** Commit transitions; returns the events (not yet published). */
  async commit(transitions: AlarmTransition[]): Promise<AlarmEvent[]> {
    const r = await applyAlarmInputs(
      this.pool,
      transitions.map((t) => ({ key: { ruleId: t.ruleId, subject: t.subject }, input: { type: 'transition' as const, transition: t } })),
      Date.now(),
    );
    if (r.refusals.length > 0) throw new Error(`refused: ${JSON.stringify(r.refusals)}`);
    return r.events;
  }

  async acknowledge(alarmId: string, eventId: string): Promise<AlarmEvent[]> {
    const r = await applyAlarmInputs(this.pool, [{ key: { alarmId }, input: { type: 'acknowledge', eventId, actor: 'operator-1' } }], Date.now());
    if (r.refusals.length > 0) throw new Error(`refused: ${JSON.stringify(r.refusals)}`);
    return r.events;
  }

  async publish(events: readonly AlarmEvent[]): Promise<void> {
    for (const e of events) {
      await this.queue.add(e.type, e, { jobId: `ae-${e.seq}`, removeOnComplete: 1000 });
      await this.redis.publish(liveChannel(this.prefix), JSON.stringify(e));
    }
  }

  async send(transitions: AlarmTransition[]): Promise<AlarmEvent[]> {
    const events = await this.commit(transitions);
    await this.publish(events);
    return events;
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** Settings for in-process tests: the minutes scaled to seconds. */
export function fastSettings(overrides: Partial<DispatchSettings> = {}): DispatchSettings {
  const base = dispatchSettings();
  return dispatchSettings({
    requestTimeoutMs: 2000,
    retry: { ...base.retry, baseMs: 100, maxMs: 800, maxAttempts: 40 },
    escalationTickMs: 100,
    offlineCheckMs: 0,
    sweepMs: 200,
    sweepGraceMs: 1500,
    lockMs: 5000,
    ...overrides,
  });
}

export function testLogger(): Logger {
  return createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', name: 'dispatch-test' });
}

export function startDispatch(opts: { pool: Pool; redis: Redis; prefix: string; secrets: SecretBox; settings: DispatchSettings }): Dispatch {
  return createDispatch({ ...opts, log: testLogger() });
}

/** Wait `ms` (only to show that nothing more happens in a quiet period). */
export const quiet = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
