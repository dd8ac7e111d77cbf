import type { Pool, PoolClient } from '@hazardwatch/db';
import type { EnterpriseInterruptions } from './offline-plan.js';

/**
 * Per enterprise with enabled interruption rules: the distinct points those rules watch
 * (their current versions' `pointIds`), and for each watched point in an active
 * interruption alarm of one of them (open, condition active: shelving or taking the alarm
 * out of service does not make data flow) the earliest raise time. One alarm per point
 * and rule (subject `point:<id>`); a point watched by two rules counts once.
 *
 * Here rather than in packages/db while that package is being reworked; it reads only
 * rules, rule_versions and alarms.
 */
export async function interruptionsPerEnterprise(db: Pool | PoolClient): Promise<Map<string, EnterpriseInterruptions>> {
  const r = await db.query<{ enterprise_id: string; watched: number; since: number[] | null }>(
    `WITH watched AS (
       SELECT r.enterprise_id, r.id AS rule_id, p.point_id
         FROM rules r
         JOIN rule_versions v ON v.rule_id = r.id AND v.version = r.current_version
         CROSS JOIN LATERAL jsonb_array_elements_text(v.document -> 'pointIds') AS p(point_id)
        WHERE r.kind = 'interruption' AND r.enabled),
     per_point AS (
       SELECT w.enterprise_id, w.point_id, min(a.raised_at) AS since
         FROM watched w
         LEFT JOIN alarms a ON a.rule_id = w.rule_id AND a.subject = 'point:' || w.point_id AND a.open AND a.condition_active
        GROUP BY w.enterprise_id, w.point_id)
     SELECT enterprise_id, count(*)::int AS watched,
            array_agg((extract(epoch FROM since) * 1000)::float8 ORDER BY since) FILTER (WHERE since IS NOT NULL) AS since
       FROM per_point GROUP BY enterprise_id`,
  );
  return new Map(
    r.rows.map((x) => [x.enterprise_id, { enterpriseId: x.enterprise_id, watched: x.watched, interruptedSince: (x.since ?? []).map(Math.round) }]),
  );
}
