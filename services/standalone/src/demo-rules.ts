import { createRule, getCurrentRule, listPointsOfEnterprise, type Pool } from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import { instantiatePreset } from '@hazardwatch/rules';

/**
 * Rules for the demo chemical plant, so `npm run sim -- gas-leak` against the
 * embedded broker raises real alarms: the GB/T 50493 combustible-gas preset on
 * every %LEL detector. Created once; later edits through the API are kept.
 */
export async function ensureDemoRules(pool: Pool, enterpriseId: string, log: Logger): Promise<number> {
  let created = 0;
  for (const p of await listPointsOfEnterprise(pool, enterpriseId)) {
    if (p.kind !== 'combustible_gas') continue;
    const ruleId = `demo-gas-${p.deviceId}-${p.channel}`;
    if (await getCurrentRule(pool, ruleId)) continue;
    const doc = instantiatePreset('gas-combustible', { ruleId, enterpriseId, hazardSourceId: p.hazardSourceId, pointId: p.id });
    await createRule(pool, doc, { by: 'hazardwatch-demo', note: 'demo rule from the gas-combustible preset' });
    created++;
  }
  if (created > 0) log.info({ enterpriseId, created }, 'demo rules created');
  return created;
}
