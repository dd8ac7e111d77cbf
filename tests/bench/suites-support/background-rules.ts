import type { RuleDocumentInput } from '@hazardwatch/contracts';
import { createRule, type Pool } from '@hazardwatch/db';
import { LOAD_SITE_IDS, loadDeviceId } from '@hazardwatch/simulators';

/**
 * `count` threshold rules that never fire (setpoint 950 on values the load publisher keeps
 * far below), one on channel 0 of each of the first `count` devices of the generated load
 * site: the worker evaluates them for every background reading, as it would real rules.
 * Shared by the rules and dispatch bench suites.
 */
export async function createBackgroundRules(pool: Pool, pointIds: Readonly<Record<string, number>>, count: number, devices: number): Promise<number> {
  let created = 0;
  for (let i = 0; i < Math.min(count, devices); i++) {
    const pointId = pointIds[`${loadDeviceId(i)}.${LOAD_SITE_IDS.channelPrefix}0`];
    if (pointId === undefined) continue;
    await createRule(
      pool,
      {
        id: `bench-bg-${i}`,
        version: 1,
        enterpriseId: LOAD_SITE_IDS.enterpriseId,
        hazardSourceId: LOAD_SITE_IDS.hazardSourceId,
        name: `bench background ${i}`,
        kind: 'threshold',
        category: 'process',
        pointId,
        deadband: 5,
        levels: [{ name: 'H', colour: 'yellow', side: 'high', setpoint: 950 }],
      } satisfies RuleDocumentInput,
      { by: 'bench' },
    );
    created++;
  }
  return created;
}
