import type { RuleDocument } from '@hazardwatch/contracts';
import {
  getCurrentRule,
  isFleetPartitionKey,
  listCurrentRules,
  listRuleHeads,
  listVehicleEnterprises,
  type Pool,
  type RuleChangeSubscription,
  rulePointIds,
  subscribeRuleChanges,
} from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import { partitionOf } from '@hazardwatch/queue';

/** A live rule as the worker evaluates it, with what routes inputs to it. */
export type CachedRule = {
  readonly rule: RuleDocument;
  readonly partitionKey: string;
  /** Evaluated in every partition, on the vehicles of its enterprise that land there. */
  readonly fleet: boolean;
  readonly pointIds: ReadonlySet<number>;
};

/** The rules of one partition, indexed for routing a job's inputs. */
export type PartitionRules = {
  readonly rules: readonly CachedRule[];
  readonly byPoint: ReadonlyMap<number, readonly CachedRule[]>;
  /** Rules watching one vehicle. */
  readonly byVehicle: ReadonlyMap<string, readonly CachedRule[]>;
  /** Fleet rules by enterprise. */
  readonly fleetByEnterprise: ReadonlyMap<string, readonly CachedRule[]>;
};

function cached(rule: RuleDocument, partitionKey: string): CachedRule {
  return { rule, partitionKey, fleet: isFleetPartitionKey(partitionKey), pointIds: new Set(rulePointIds(rule)) };
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/**
 * Every live rule, loaded from PostgreSQL and kept current without a restart:
 * - `NOTIFY hw_rules_changed` (a dedicated LISTEN connection, reconnecting) reloads the changed rule;
 * - after each (re)connect of that listener, and every `versionCheckMs`, the versions in the
 *   `rules` table are compared with the cache, so a notification lost while deaf is caught up;
 * - a rule is only ever replaced by a higher version (two reloads racing cannot go back).
 * Until the first full load has succeeded, {@link RuleCache.ready} does not resolve: a job never
 * runs against an empty cache (that would skip every rule and miss alarms).
 */
export class RuleCache {
  private readonly byId = new Map<string, CachedRule>();
  private readonly byPartition = new Map<number, PartitionRules>();
  private vehicles = new Map<string, string>();
  private vehiclesLoadedAt = Number.NEGATIVE_INFINITY;
  private subscription: RuleChangeSubscription | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private loaded = false;
  private readyWaiters: Array<() => void> = [];
  private syncing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly o: {
      pool: Pool;
      partitions: number;
      log: Logger;
      versionCheckMs: number;
      now: () => number;
      /** Called after a rule changed (new version loaded, rule gone). */
      onChange?: (ruleId: string) => void;
    },
  ) {}

  start(): void {
    this.subscription = subscribeRuleChanges(this.o.pool, {
      onChange: (ruleId) => this.refresh(ruleId),
      // A fresh LISTEN: whatever changed while nobody listened is found by comparing versions.
      onListening: () => this.requestSync('listening'),
      onError: (err) => this.o.log.warn({ err }, 'rule change listener lost; reconnecting'),
    });
    this.checkTimer = setInterval(() => this.requestSync('periodic'), this.o.versionCheckMs);
    this.checkTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.checkTimer) clearInterval(this.checkTimer);
    await this.subscription?.close();
    for (const w of this.readyWaiters) w();
    this.readyWaiters = [];
  }

  /** True once every rule has been loaded at least once. */
  get isReady(): boolean {
    return this.loaded;
  }

  /** Resolves when the first full load has succeeded (or the cache stops). */
  ready(): Promise<void> {
    if (this.loaded || this.stopped) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  /** Number of live rules cached. */
  get size(): number {
    return this.byId.size;
  }

  /** A live rule by id. */
  get(ruleId: string): CachedRule | undefined {
    return this.byId.get(ruleId);
  }

  /** The rules partition `p` evaluates (its own and every fleet rule). */
  rulesFor(p: number): PartitionRules {
    let pr = this.byPartition.get(p);
    if (!pr) {
      const rules: CachedRule[] = [];
      const byPoint = new Map<number, CachedRule[]>();
      const byVehicle = new Map<string, CachedRule[]>();
      const fleetByEnterprise = new Map<string, CachedRule[]>();
      for (const c of this.byId.values()) {
        if (!c.fleet && partitionOf(c.partitionKey, this.o.partitions) !== p) continue;
        rules.push(c);
        for (const id of c.pointIds) push(byPoint, id, c);
        if (c.fleet) push(fleetByEnterprise, c.rule.enterpriseId, c);
        else if (c.rule.kind === 'vehicle' && c.rule.vehicleId !== null) push(byVehicle, c.rule.vehicleId, c);
      }
      pr = { rules, byPoint, byVehicle, fleetByEnterprise };
      this.byPartition.set(p, pr);
    }
    return pr;
  }

  /** The enterprise of a vehicle (fleet rules); unknown vehicles reload the map at most every 10 s. */
  async enterpriseOfVehicle(vehicleId: string): Promise<string | undefined> {
    const known = this.vehicles.get(vehicleId);
    if (known !== undefined || this.o.now() - this.vehiclesLoadedAt < 10_000) return known;
    this.vehicles = await listVehicleEnterprises(this.o.pool);
    this.vehiclesLoadedAt = this.o.now();
    return this.vehicles.get(vehicleId);
  }

  /** True when some fleet rule exists (positions then need their vehicle's enterprise). */
  get hasFleetRules(): boolean {
    for (const c of this.byId.values()) if (c.fleet) return true;
    return false;
  }

  /** Loads one rule again (after a notification, or when a stored state is newer than the cache). */
  async reload(ruleId: string): Promise<CachedRule | undefined> {
    const stored = await getCurrentRule(this.o.pool, ruleId);
    if (stored) this.put(stored.rule, stored.partitionKey);
    else this.remove(ruleId);
    return this.byId.get(ruleId);
  }

  private refresh(ruleId: string): void {
    this.reload(ruleId).then(
      (c) => this.o.log.info({ ruleId, version: c?.rule.version ?? null }, 'rule change picked up'),
      (err: unknown) => {
        this.o.log.warn({ err, ruleId }, 'reloading a changed rule failed; the version check will retry');
        this.requestSync('reload failed');
      },
    );
  }

  private put(rule: RuleDocument, partitionKey: string): void {
    const old = this.byId.get(rule.id);
    if (old && old.rule.version >= rule.version) return;
    this.byId.set(rule.id, cached(rule, partitionKey));
    this.byPartition.clear();
    this.o.onChange?.(rule.id);
  }

  private remove(ruleId: string): void {
    if (!this.byId.delete(ruleId)) return;
    this.byPartition.clear();
    this.o.onChange?.(ruleId);
  }

  private requestSync(why: string): void {
    if (this.stopped || this.syncing) return;
    this.syncing = this.sync(why)
      .catch((err: unknown) => {
        this.o.log.warn({ err, why }, 'rule sync failed; retrying');
        if (!this.stopped && !this.loaded) setTimeout(() => this.requestSync('retry'), 1_000).unref();
      })
      .finally(() => {
        this.syncing = undefined;
      });
  }

  /** First time: load everything. Then: compare versions and reload what differs. */
  private async sync(why: string): Promise<void> {
    if (!this.loaded) {
      const { rules, invalid } = await listCurrentRules(this.o.pool);
      for (const bad of invalid)
        this.o.log.error({ ruleId: bad.ruleId, version: bad.version, reasons: bad.reasons }, 'stored rule no longer validates; skipped');
      for (const s of rules) this.put(s.rule, s.partitionKey);
      this.vehicles = await listVehicleEnterprises(this.o.pool);
      this.vehiclesLoadedAt = this.o.now();
      this.loaded = true;
      this.o.log.info({ rules: this.byId.size, why }, 'rules loaded');
      for (const w of this.readyWaiters) w();
      this.readyWaiters = [];
      return;
    }
    const heads = await listRuleHeads(this.o.pool);
    const live = new Set<string>();
    const stale: string[] = [];
    for (const h of heads) {
      live.add(h.id);
      const c = this.byId.get(h.id);
      if (!c || c.rule.version < h.version) stale.push(h.id);
    }
    for (const id of [...this.byId.keys()]) if (!live.has(id)) this.remove(id);
    if (stale.length === 0) return;
    const { rules, invalid } = await listCurrentRules(this.o.pool, { ids: stale });
    for (const bad of invalid) this.o.log.error({ ruleId: bad.ruleId, version: bad.version, reasons: bad.reasons }, 'stored rule no longer validates; skipped');
    for (const s of rules) this.put(s.rule, s.partitionKey);
    this.o.log.info({ rules: stale.length, why }, 'rule versions caught up');
  }
}
