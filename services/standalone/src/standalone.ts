import { createApi, ensureAdminKey } from '@hazardwatch/api';
import type { Config } from '@hazardwatch/config';
import {
  applySiteFile,
  applyStoragePolicies,
  createPool,
  createRetentionPruner,
  createRollupRefresher,
  createSecretBox,
  migrate,
  type Pool,
} from '@hazardwatch/db';
import { createDispatch, createDispatchQueues, createLiveStream, publishEvents } from '@hazardwatch/dispatch';
import { createIngest, type Ingest } from '@hazardwatch/ingest';
import { type Logger, once, runAll, safeUrl } from '@hazardwatch/observability';
import { clearLatestOlderThan, createEvaluateProducer, createRedis, type EvaluateProducer, type Redis } from '@hazardwatch/queue';
import { createRulesWorker, rulesWorkerTimings } from '@hazardwatch/rules-worker';
import { bundledSite, runScenario } from '@hazardwatch/simulators';
import { ensureDemoRules } from './demo-rules.js';
import { startEmbeddedBroker } from './embedded-broker.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { localSecretKey } from './local-secret-key.js';
import { resolveRedis } from './redis-resolver.js';

export interface StandaloneEndpoints {
  broker: string;
  database: string;
  redis: string;
  storageMode: string;
  api: string;
  /** The admin API key, on the very first start only (only its hash is stored). */
  adminKey: string | null;
}

export interface Standalone {
  start(): Promise<StandaloneEndpoints>;
  stop(): Promise<void>;
}

/** The demo enterprises loaded on every embedded start (idempotent upserts). */
const DEMO_SITES = ['chemical-plant', 'tailings-dam', 'transport'] as const;

/**
 * The whole backend in one process on embedded parts where they serve: an
 * in-process MQTT broker unless MQTT_URL, an embedded PostgreSQL unless
 * DATABASE_URL, Redis from REDIS_URL or a child redis-server. Steps run in
 * dependency order and stop in reverse.
 */
export function createStandalone(config: Config, log: Logger): Standalone {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const simulation = new AbortController();
  let pool: Pool | undefined;
  let redis: Redis | undefined;
  let producer: EvaluateProducer | undefined;
  let ingest: Ingest | undefined;

  return {
    async start() {
      // Database.
      let dbUrl = config.db.url;
      if (!dbUrl) {
        const pg = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.db.embeddedPort, log });
        cleanups.unshift(() => pg.stop());
        dbUrl = pg.url;
      }
      const db = createPool(dbUrl, { max: config.db.poolMax, onError: (err) => log.warn({ err }, 'idle database connection lost') });
      pool = db;
      cleanups.unshift(() => db.end());
      const migrated = await migrate(db, { timescale: config.db.timescale });
      await applyStoragePolicies(db, config.db);
      log.info({ mode: migrated.mode, applied: migrated.applied }, 'database ready');

      // Redis and the evaluation queues.
      const r = await resolveRedis({ url: config.redis.url, dataDir: config.dataDir, log });
      cleanups.unshift(() => r.stop());
      const connection = createRedis(r.url, { onError: (err) => log.warn({ err }, 'redis connection error') });
      redis = connection;
      cleanups.unshift(() => connection.quit());
      const evaluate = createEvaluateProducer({ connection, prefix: config.queue.prefix, partitions: config.queue.partitions });
      producer = evaluate;
      cleanups.unshift(() => evaluate.close());

      for (const name of DEMO_SITES) await applySiteFile(db, bundledSite(name));
      await ensureDemoRules(db, bundledSite('chemical-plant').enterprise.id, log);

      // Rules worker pool: every partition queue, ordered per hazard source / vehicle.
      const worker = createRulesWorker({
        pool: db,
        redis: () => createRedis(r.url, { onError: (err) => log.warn({ err }, 'redis connection error') }),
        prefix: config.queue.prefix,
        partitions: config.queue.partitions,
        ...rulesWorkerTimings(config.rulesWorker),
        log,
      });
      await worker.start();
      cleanups.unshift(() => worker.stop());

      // Broker and ingest.
      const settings = { ...config.ingest, topicPrefix: config.mqtt.topicPrefix };
      // LATEST_VALUES_REDIS: ingest writes each point's latest value to Redis, the API reads it
      // (docs/architecture.md); one connection that never queues while Redis is away.
      let latestValues: { redis: Redis; prefix: string } | undefined;
      if (config.redis.latestValues) {
        const lv = createRedis(r.url, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: 2_000,
          onError: (err) => log.warn({ err }, 'redis (latest values) connection error'),
        });
        cleanups.unshift(async () => lv.disconnect());
        latestValues = { redis: lv, prefix: config.queue.prefix };
      }
      const ingestDeps = { pool: db, producer: evaluate, log, settings, ...(latestValues ? { latestValues } : {}) };
      let brokerUrl = config.mqtt.url;
      if (!brokerUrl) {
        const b = await startEmbeddedBroker({ port: config.mqtt.embeddedPort, log });
        cleanups.unshift(() => b.stop());
        brokerUrl = b.url;
        ingest = createIngest({ ...ingestDeps, transport: { kind: 'aedes', broker: b.broker } });
      } else {
        ingest = createIngest({
          ...ingestDeps,
          transport: {
            kind: 'mqtt',
            url: brokerUrl,
            username: config.mqtt.username,
            password: config.mqtt.password,
            clientId: config.ingest.clientId,
            connections: config.ingest.connections,
            shareGroup: config.ingest.shareGroup,
          },
        });
      }
      const ing = ingest;
      await ing.start();
      cleanups.unshift(() => ing.stop());
      // Plain PostgreSQL's chart rollup (idle on TimescaleDB), off ingest's commit path.
      const rollups = createRollupRefresher({ pool: db, log, settings: config.rollup });
      await rollups.start();
      cleanups.unshift(() => rollups.stop());
      // Retention on plain PostgreSQL (TimescaleDB's policies drop chunks) and of the Redis copy of latest values.
      const lvRedis = latestValues?.redis;
      const retention = createRetentionPruner({
        pool: db,
        log,
        retention: config.db,
        intervalMs: config.retention.intervalMs,
        ...(lvRedis ? { latestValues: { clearOlderThan: (cutoffMs: number) => clearLatestOlderThan(lvRedis, config.queue.prefix, cutoffMs) } } : {}),
      });
      await retention.start();
      cleanups.unshift(() => retention.stop());

      // Dispatch: webhooks, escalation, offline enterprises, and the live stream the API serves.
      const dispatchSettings = config.dispatch;
      const secrets = createSecretBox({
        key: dispatchSettings.secretKey ?? (await localSecretKey(config.dataDir)),
        previousKeys: dispatchSettings.previousSecretKeys,
      });
      const dispatch = createDispatch({ pool: db, redis: connection, prefix: config.queue.prefix, settings: dispatchSettings, secrets, log });
      await dispatch.start();
      cleanups.unshift(() => dispatch.stop());
      const queues = createDispatchQueues(connection, config.queue.prefix);
      cleanups.unshift(() => queues.close());
      const live = createLiveStream({ redis: connection, prefix: config.queue.prefix, pool: db, log });
      cleanups.unshift(() => live.close());

      const resetRedis = createRedis(r.url, { onError: (err) => log.warn({ err }, 'redis connection error') });
      cleanups.unshift(() => resetRedis.quit());

      // API (and its OpenAPI page at /docs).
      const api = createApi({
        pool: db,
        log,
        redis: connection,
        liveStream: live,
        publishEvents: (events) => publishEvents(queues, connection, config.queue.prefix, events),
        dispatchSecrets: secrets,
        // Latch resets run as partition jobs, ordered with evaluation, on a connection of their own.
        latchReset: { connection: resetRedis, prefix: config.queue.prefix, partitions: config.queue.partitions },
        config: { host: config.api.host, port: config.api.port },
        readiness: { broker: async () => (ing.brokerConnections() > 0 ? true : Promise.reject(new Error('broker not connected'))) },
        ...(latestValues ? { latestValues } : {}),
      });
      const admin = await ensureAdminKey(db);
      const apiUrl = await api.start();
      cleanups.unshift(() => api.stop());

      if (config.simulator === 'plant') {
        const url = brokerUrl;
        // The quiet plant in real time, until stopped: a newcomer sees readings flow.
        void runScenario({
          scenario: 'plant',
          brokerUrl: url,
          durationS: 7 * 86_400,
          topicPrefix: config.mqtt.topicPrefix,
          signal: simulation.signal,
          clientIdPrefix: 'hwdemo',
        })
          .then((s) => log.info({ sent: s.sent, acknowledged: s.acknowledged }, 'demo simulator finished'))
          .catch((err) => log.warn({ err }, 'demo simulator stopped'));
        cleanups.unshift(() => simulation.abort());
      }
      return { broker: brokerUrl, database: safeUrl(dbUrl), redis: safeUrl(r.url), storageMode: migrated.mode, api: apiUrl, adminKey: admin?.key ?? null };
    },
    stop: once(async () => {
      await runAll(cleanups);
      log.info('hazardwatch stopped');
      void pool;
      void redis;
      void producer;
    }),
  };
}
