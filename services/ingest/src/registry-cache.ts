import { HazardError } from '@hazardwatch/contracts';
import { findIngestDevices, findVehicleEnterprises, type IngestDevice, type Pool } from '@hazardwatch/db';
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';

export type { IngestDevice };

export interface RegistryCacheOptions {
  /** How long a known entry is fresh; registry edits reach ingest within about this long. */
  ttlMs?: number;
  /** How long an unknown id is remembered, so a misconfigured device at 1 Hz does not cost a query per message. */
  negativeTtlMs?: number;
  /** Most entries of each kind kept (least recently used go first). */
  maxEntries?: number;
  /** Most ids per registry query. */
  maxBatch?: number;
  random?: () => number;
  /**
   * The registry's change generation (packages/db `watchGeneration` over `hw_registry_changed`),
   * null while not listening. With it, `recheckDevice` reloads an entry a change may have
   * outdated; without it, entries only age out.
   */
  generation?: () => number | null;
}

/** The registry could not be read and nothing was cached for the id: ingest holds the message and retries. */
export class RegistryUnavailableError extends HazardError {
  constructor(what: string) {
    super('HW_INGEST_REGISTRY_UNAVAILABLE', `registry lookup of ${what} failed and nothing is cached for it`);
  }
}

/** lru-cache holds no null: an id the registry does not know. */
const UNKNOWN = Symbol('unknown');
type Cached<T> = T | typeof UNKNOWN;

/**
 * Routing facts ingest needs per device and vehicle, cached in memory, built so that the
 * registry never stands between a message and its commit once a device is known:
 * - stale-while-revalidate: an expired entry is still answered at once while one refresh
 *   runs in the background (and kept when that refresh fails, e.g. the database is down);
 * - every entry's lifetime is jittered ±20 %, so the devices first seen together at start-up
 *   do not all come due in the same second forever after;
 * - the ids that miss or come due in the same tick are loaded in one query (DataLoader).
 * Before these, the 10,000 devices of a dense site expired together every 60 s and each of
 * their next messages waited for its own query: a periodic stall of about a second in the
 * whole pipeline (docs/benchmarks.md, Rules).
 */
export class RegistryCache {
  private readonly devices: LRUCache<string, Cached<IngestDevice>>;
  private readonly vehicles: LRUCache<string, Cached<string>>;
  /** Per cached device, the registry generation taken before the query that loaded it. */
  private readonly deviceGenerations = new Map<string, number | null>();
  private readonly generation: () => number | null;

  constructor(pool: Pool, now: () => number, o: RegistryCacheOptions = {}) {
    this.generation = o.generation ?? (() => null);
    this.devices = refreshingCache((ids) => findIngestDevices(pool, ids), now, o, this.deviceGenerations);
    this.vehicles = refreshingCache((ids) => findVehicleEnterprises(pool, ids), now, o);
  }

  /**
   * A device's routing reloaded now if the registry changed since its entry was loaded (a
   * channel added, the device registered or moved a moment ago), else undefined: nothing newer
   * is known. For a message the cached entry would refuse (unknown device or channel, another
   * enterprise), so an edit costs no good data while its entry ages out; a device that stays
   * wrong costs one query per registry change, not one per message.
   */
  async recheckDevice(id: string): Promise<IngestDevice | null | undefined> {
    const current = this.generation();
    if (current === null || this.deviceGenerations.get(id) === current) return undefined;
    const v = await this.devices.fetch(id, { forceRefresh: true, allowStale: false });
    if (v === undefined) throw new RegistryUnavailableError(`device ${id}`);
    return v === UNKNOWN ? null : v;
  }

  /** Routing of a device, null when the registry does not know it. Rejects only when it was never loaded and the registry is unreachable. */
  async device(id: string): Promise<IngestDevice | null> {
    const v = await this.devices.fetch(id);
    // undefined: the load failed with no stale entry to fall back on (allowStaleOnFetchRejection) — not "unknown".
    if (v === undefined) throw new RegistryUnavailableError(`device ${id}`);
    return v === UNKNOWN ? null : v;
  }

  /** Enterprise of a vehicle, null when unknown. */
  async vehicleEnterprise(id: string): Promise<string | null> {
    const v = await this.vehicles.fetch(id);
    if (v === undefined) throw new RegistryUnavailableError(`vehicle ${id}`);
    return v === UNKNOWN ? null : v;
  }

  /** Forget everything (after a registry change made through this process). */
  clear(): void {
    this.devices.clear();
    this.deviceGenerations.clear();
    this.vehicles.clear();
  }
}

/** An LRU of `load`'s answers with the refresh, jitter and batching described on RegistryCache. */
function refreshingCache<T extends object | string>(
  load: (ids: readonly string[]) => Promise<Map<string, T>>,
  now: () => number,
  o: RegistryCacheOptions,
  generations?: Map<string, number | null>,
): LRUCache<string, Cached<T>> {
  const ttlMs = o.ttlMs ?? 60_000;
  const negativeTtlMs = o.negativeTtlMs ?? 5_000;
  const random = o.random ?? Math.random;
  const loader = new DataLoader<string, Cached<T>>(
    async (ids) => {
      const found = await load(ids);
      return ids.map((id) => found.get(id) ?? UNKNOWN);
    },
    { cache: false, maxBatchSize: o.maxBatch ?? 1_000 },
  );
  return new LRUCache<string, Cached<T>>({
    max: o.maxEntries ?? 200_000,
    ttl: ttlMs,
    // Read the clock on every lookup (the default caches it for a timer tick).
    ttlResolution: 0,
    perf: { now },
    allowStale: true,
    noDeleteOnFetchRejection: true,
    allowStaleOnFetchRejection: true,
    dispose: generations ? (_v, id, reason) => reason !== 'set' && generations.delete(id) : undefined,
    fetchMethod: async (id, _stale, { options }) => {
      // Taken before the query: a change committed after it moves the generation on.
      const generation = o.generation?.() ?? null;
      const v = await loader.load(id);
      generations?.set(id, generation);
      options.ttl = Math.round((v === UNKNOWN ? negativeTtlMs : ttlMs) * (0.8 + 0.4 * random()));
      return v;
    },
  });
}
