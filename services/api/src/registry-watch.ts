import { type ChannelGeneration, type Pool, REGISTRY_CHANGED_CHANNEL, watchGeneration } from '@hazardwatch/db';
import { atMostEvery, counter, type Logger } from '@hazardwatch/observability';

/**
 * Whether the registry (enterprises, hazard sources, devices, measuring points) changed since a
 * moment, known without asking the database: a generation that moves on every
 * `NOTIFY hw_registry_changed` (migration 0010, sent at commit) and on every reconnect of the
 * listening connection (packages/db notifications.ts).
 */
export type RegistryWatch = ChannelGeneration;

export function watchRegistry(pool: Pool, log?: Logger): RegistryWatch {
  const changes = counter('hazardwatch_api_registry_changes_total', 'Registry change notifications received (they drop kept registry-derived answers)');
  const warnNow = atMostEvery(60_000);
  return watchGeneration(pool, REGISTRY_CHANGED_CHANNEL, {
    onNotification: () => changes.inc(),
    onError: (err) => {
      if (!warnNow()) return;
      log?.warn({ err }, 'registry change listener lost its connection; checking the registry per request until it is back');
    },
  });
}
