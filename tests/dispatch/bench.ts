/**
 * `npm run bench -- dispatch` (once registered in tests/bench/run.ts SUITES as
 * `dispatch: runDispatchSuite`): dispatch as its own process, alarm events committed
 * through the alarm store and published as the rules-worker does, delivered to local
 * HTTP receivers. Reports deliveries per second and the latency from an event's
 * publication (after its commit) to its webhook's arrival, p50/p99.
 *
 * Not measured here: the part before the event (MQTT publish → ingest → rules-worker);
 * the issue's end-to-end figure needs the whole pipeline (tests/bench, ingest suite).
 * Until registered, run it directly:
 * `node --conditions=hazardwatch-source --import tsx tests/dispatch/bench.ts --events 2000 --rate 100`.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createSecretBox } from '@hazardwatch/db';
import { createRedis } from '@hazardwatch/queue';
import { createTestDatabase, dropRedisPrefix, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import { spawnService } from '../support/ingest-process.js';
import { addEnterprise, addTarget, Producer, type Receiver, secretOf, startReceiver, transition } from './support.js';

const USAGE = `npm run bench -- dispatch [--events N] [--rate EVENTS_PER_S] [--alarms N] [--receiver-delay-ms MS]
  4 targets match every event (control room, county, city, province): deliveries = 4 × events.
`;

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export async function runDispatchSuite(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string', default: '4000' },
      rate: { type: 'string', default: '400' },
      alarms: { type: 'string', default: '200' },
      'receiver-delay-ms': { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const events = Number(values.events);
  const rate = Number(values.rate);
  const alarms = Number(values.alarms);
  const delayMs = Number(values['receiver-delay-ms']);
  const db = await createTestDatabase({ timescale: 'off' });
  const prefix = testRedisPrefix();
  const redis = createRedis(testRedisUrl());
  const key = Buffer.alloc(32, 5).toString('base64');
  const box = createSecretBox({ key });
  const producer = new Producer(db.pool, redis, prefix);
  const receivers: Receiver[] = [];
  const published = new Map<string, number>();
  const proc = spawnService('services/dispatch/src/main.ts', {
    DATABASE_URL: db.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
    DISPATCH_SECRET_KEY: key,
    DISPATCH_OFFLINE_CHECK_MS: '0',
    LOG_LEVEL: 'info',
  });
  try {
    await addEnterprise(db.pool, 'ent-bench', '370321');
    const scopes = [{ enterpriseId: 'ent-bench' }, { regionPrefix: '370321' }, { regionPrefix: '3703' }, { regionPrefix: '37' }];
    for (const [i, scope] of scopes.entries()) {
      const name = `bench-${i}`;
      const r = await startReceiver(secretOf(name), delayMs > 0 ? () => ({ status: 204, delayMs }) : undefined);
      receivers.push(r);
      await addTarget(db.pool, box, name, r, scope, { eventTypes: ['raised', 'returned_to_normal'] });
    }
    await waitFor(() => proc.output().includes('dispatch started'), { what: 'dispatch up', timeoutMs: 30_000 });
    const t0 = Date.now();
    for (let i = 0; i < events; i++) {
      // Alternating raise and clear per alarm, spread over `alarms` alarms.
      const a = i % alarms;
      const round = Math.floor(i / alarms);
      const kind = round % 2 === 0 ? 'raise' : 'clear';
      const committed = await producer.commit([transition(`b-${a}-${round}`, 'ent-bench', `point:${a}`, kind, 'red')]);
      for (const e of committed) published.set(e.id, Date.now());
      await producer.publish(committed);
      const ahead = t0 + ((i + 1) * 1000) / rate - Date.now();
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    }
    const offeredS = (Date.now() - t0) / 1000;
    const expected = events * receivers.length;
    await waitFor(() => receivers.reduce((n, r) => n + r.accepted.length, 0) >= expected, { what: `${expected} deliveries`, timeoutMs: 300_000 });
    const arrivals = receivers.flatMap((r) => r.accepted.map((x) => ({ key: x.key, at: x.at })));
    const latencies = arrivals.map((x) => x.at - (published.get(x.key) ?? Number.NaN)).sort((p, q) => p - q);
    const span = (Math.max(...arrivals.map((x) => x.at)) - t0) / 1000;
    const p50 = quantile(latencies, 0.5);
    const p99 = quantile(latencies, 0.99);
    const repeats = receivers.reduce((n, r) => n + r.duplicates().length, 0);
    process.stdout.write(
      `${[
        `dispatch bench: ${events} events (${alarms} alarms, raise/clear) at ${rate}/s offered (${(events / offeredS).toFixed(0)}/s achieved), ${receivers.length} targets, receiver delay ${delayMs} ms`,
        `deliveries: ${arrivals.length} in ${span.toFixed(1)} s = ${(arrivals.length / span).toFixed(0)}/s; repeats ${repeats}`,
        `latency publish → webhook arrival: p50 ${p50} ms, p99 ${p99} ms, max ${latencies.at(-1)} ms (target p99 ≤ 200 ms end to end)`,
      ].join('\n')}\n`,
    );
    return 0;
  } finally {
    await proc.kill('SIGTERM');
    await producer.close();
    for (const r of receivers) await r.close();
    redis.disconnect();
    await dropRedisPrefix(prefix);
    await db.drop();
  }
}

// Run directly (not through tests/bench/run.ts).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await runDispatchSuite(process.argv.slice(2));
