import { type ChannelGeneration, type Pool, REGISTRY_CHANGED_CHANNEL, watchGeneration } from '@hazardwatch/db';
import { atMostEvery, type Logger, once, runAll } from '@hazardwatch/observability';
import type { EvaluateProducer, Redis } from '@hazardwatch/queue';
import { Batcher, type IngestState } from './batcher.js';
import { LatestValuesWriter } from './latest-values.js';
import { ingestMetrics } from './metrics.js';
import { RegistryCache } from './registry-cache.js';
import { type AedesLike, attachToAedes } from './transports/aedes-hook.js';
import { type MessageHandler, startMqttPool } from './transports/mqtt-pool.js';
import { type ValidationLimits, validateMessage } from './validate.js';

export interface IngestSettings extends ValidationLimits {
  batchMaxRows: number;
  batchMaxWaitMs: number;
}

export type IngestTransport =
  | {
      kind: 'mqtt';
      url: string;
      username?: string | undefined;
      password?: string | undefined;
      clientId: string;
      connections: number;
      shareGroup: string;
    }
  | { kind: 'aedes'; broker: AedesLike };

export interface IngestDeps {
  pool: Pool;
  producer: EvaluateProducer;
  log: Logger;
  settings: IngestSettings;
  transport: IngestTransport;
  now?: () => number;
  retry?: { minMs: number; maxMs: number };
  /**
   * Keep each point's latest value in Redis for the API (latest-values.ts), written after the
   * acknowledgements. `redis` should be a connection of its own that never queues while Redis
   * is away (`enableOfflineQueue: false`). Without it the API reads PostgreSQL only.
   */
  latestValues?: { redis: Redis; prefix: string };
}

export interface Ingest {
  start(): Promise<void>;
  /** Stop intake, write what is pending (within `drainMs`), acknowledge it. Idempotent. */
  stop(drainMs?: number): Promise<void>;
  state(): IngestState;
  /** Messages received and not yet acknowledged. */
  pending(): number;
  /** Broker connections currently up (subscriber pool; the aedes hook counts as one). */
  brokerConnections(): number;
}

export function createIngest(deps: IngestDeps): Ingest {
  const log = deps.log.child({ service: 'ingest' });
  const now = deps.now ?? Date.now;
  const metrics = ingestMetrics();
  // Registry change notifications let a refused message reload its device's entry at once
  // (registry-cache.ts recheckDevice). The listener holds one pool connection; a pool of one is left alone.
  let registryWatch: ChannelGeneration | undefined;
  const watchWarnNow = atMostEvery(60_000, now);
  const registry = new RegistryCache(deps.pool, now, { generation: () => registryWatch?.generation() ?? null });
  const latest = deps.latestValues ? new LatestValuesWriter({ ...deps.latestValues, log }) : undefined;
  const batcher = new Batcher({
    pool: deps.pool,
    producer: deps.producer,
    log,
    metrics,
    maxRows: deps.settings.batchMaxRows,
    maxWaitMs: deps.settings.batchMaxWaitMs,
    ...(deps.transport.kind === 'mqtt' ? { maxMessages: deps.transport.connections } : {}),
    now,
    ...(deps.retry ? { retry: deps.retry } : {}),
    ...(latest ? { latestValues: latest } : {}),
  });
  let stopping = false;

  /** Validate (retrying while the registry is unreachable), then hand to the batcher. */
  const handle: MessageHandler = (topic, payload, ack) => {
    const family = topic.slice(topic.lastIndexOf('/') + 1);
    metrics.messages.inc({ family: ['telemetry', 'position', 'status'].includes(family) ? family : 'other' });
    let delay = 100;
    const attempt = (): void => {
      validateMessage(topic, payload, registry, deps.settings, now()).then(
        (rows) => batcher.submit(rows, ack),
        (err) => {
          // Not bad input: the registry lookup failed (database down). Hold the ack and retry.
          if (stopping) return;
          metrics.retries.inc({ stage: 'lookup' });
          log.warn({ err, retryInMs: delay }, 'registry lookup failed, retrying');
          setTimeout(attempt, delay);
          delay = Math.min(delay * 2, 5_000);
        },
      );
    };
    attempt();
  };

  let detach: (() => Promise<void>) | undefined;
  let connected = () => 0;
  return {
    async start() {
      if ((deps.pool.options.max ?? 10) >= 2)
        registryWatch = watchGeneration(deps.pool, REGISTRY_CHANGED_CHANNEL, {
          onError: (err) => {
            if (!watchWarnNow()) return;
            log.warn({ err }, 'registry change listener lost its connection; cached registry entries age out meanwhile');
          },
        });
      if (deps.transport.kind === 'mqtt') {
        const t = deps.transport;
        const pool = startMqttPool(
          {
            url: t.url,
            username: t.username,
            password: t.password,
            clientId: t.clientId,
            connections: t.connections,
            shareGroup: t.shareGroup,
            topicPrefix: deps.settings.topicPrefix,
            log,
          },
          handle,
        );
        detach = () => pool.stop();
        connected = () => pool.connected();
      } else {
        const off = attachToAedes(deps.transport.broker, deps.settings.topicPrefix, handle);
        detach = async () => off();
        connected = () => 1;
      }
      log.info({ transport: deps.transport.kind }, 'ingest started');
    },
    stop: once(async (drainMs = 10_000) => {
      stopping = true;
      // The latest values of the last batches get a moment to reach Redis (else the API reads them from PostgreSQL).
      await runAll([() => batcher.drain(drainMs), () => detach?.(), () => latest?.stop(1_000), () => registryWatch?.close()]);
      log.info('ingest stopped');
    }),
    state: () => batcher.currentState,
    pending: () => batcher.pendingMessages,
    brokerConnections: () => connected(),
  };
}
