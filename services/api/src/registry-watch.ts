import { type Pool, REGISTRY_CHANGED_CHANNEL, subscribeChannel } from '@hazardwatch/db';
import { counter, type Logger } from '@hazardwatch/observability';

/**
 * Whether the registry (enterprises, hazard sources, devices, measuring points) changed since a
 * moment, known without asking the database: a counter that moves on every
 * `NOTIFY hw_registry_changed` (migration 0010, sent at commit) and on every (re)connect of the
 * listening connection, since changes made while nobody listened sent nothing to anyone.
 */
export interface RegistryWatch {
  /** The current generation; null while not listening (then nothing can be trusted to be unchanged). */
  generation(): number | null;
  close(): Promise<void>;
}

export function watchRegistry(pool: Pool, log?: Logger): RegistryWatch {
  const changes = counter('hazardwatch_api_registry_changes_total', 'Registry change notifications received (they drop kept registry-derived answers)');
  let generation = 0;
  let listening = false;
  let lastWarn = 0;
  const sub = subscribeChannel(pool, REGISTRY_CHANGED_CHANNEL, {
    onNotification: () => {
      generation++;
      changes.inc();
    },
    onListening: () => {
      generation++;
      listening = true;
    },
    onError: (err) => {
      listening = false;
      generation++;
      const now = Date.now();
      if (now - lastWarn < 60_000) return;
      lastWarn = now;
      log?.warn({ err }, 'registry change listener lost its connection; checking the registry per request until it is back');
    },
  });
  return {
    generation: () => (listening ? generation : null),
    async close() {
      listening = false;
      await sub.close();
    },
  };
}
