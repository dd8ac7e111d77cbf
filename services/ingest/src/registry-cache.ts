import { findIngestDevice, findVehicleEnterprise, type IngestDevice, type Pool } from '@hazardwatch/db';

export type { IngestDevice };

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/**
 * Routing facts ingest needs per device and vehicle, cached in memory. Known
 * entries live `ttlMs` (registry edits are picked up within it); unknown ids
 * are remembered for `negativeTtlMs` so a misconfigured device publishing at
 * 1 Hz does not cost a query per message.
 */
export class RegistryCache {
  private readonly devices = new Map<string, Entry<IngestDevice | null>>();
  private readonly vehicles = new Map<string, Entry<string | null>>();

  constructor(
    private readonly pool: Pool,
    private readonly now: () => number,
    private readonly ttlMs = 60_000,
    private readonly negativeTtlMs = 5_000,
  ) {}

  async device(id: string): Promise<IngestDevice | null> {
    const hit = this.devices.get(id);
    if (hit && hit.expiresAt > this.now()) return hit.value;
    const value = await findIngestDevice(this.pool, id);
    this.devices.set(id, { value, expiresAt: this.now() + (value ? this.ttlMs : this.negativeTtlMs) });
    return value;
  }

  async vehicleEnterprise(id: string): Promise<string | null> {
    const hit = this.vehicles.get(id);
    if (hit && hit.expiresAt > this.now()) return hit.value;
    const value = await findVehicleEnterprise(this.pool, id);
    this.vehicles.set(id, { value, expiresAt: this.now() + (value ? this.ttlMs : this.negativeTtlMs) });
    return value;
  }

  /** Forget everything (after a registry change made through this process). */
  clear(): void {
    this.devices.clear();
    this.vehicles.clear();
  }
}
