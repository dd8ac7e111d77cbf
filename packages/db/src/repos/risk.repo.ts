import { type Colour, ColourSchema } from '@hazardwatch/contracts';
import type { Pool, PoolClient } from '../pool.js';
import { type DataScope, inScope, scopeArgs } from './registry-admin.repo.js';

type Queryable = Pool | PoolClient;

/** One risk-colour assessment of a hazard source (the newest is the current colour). */
export interface RiskAssessment {
  id: number;
  hazardSourceId: string;
  colour: Colour;
  reason: string;
  setBy: string;
  setAt: number;
}

function assessmentOf(row: Record<string, unknown>): RiskAssessment {
  return {
    id: Number(row.id),
    hazardSourceId: String(row.hazard_source_id),
    colour: ColourSchema.parse(row.colour),
    reason: String(row.reason),
    setBy: String(row.set_by),
    setAt: Math.round(Number(row.set_at)),
  };
}

/** Record a new colour for a hazard source in scope; null when it is not in scope. */
export async function insertRiskAssessment(
  db: Queryable,
  scope: DataScope,
  a: { hazardSourceId: string; colour: Colour; reason: string; setBy: string; setAtMs: number },
): Promise<RiskAssessment | null> {
  const r = await db.query(
    `INSERT INTO hazard_source_risk (hazard_source_id, colour, reason, set_by, set_at)
     SELECT h.id, $4, $5, $6, to_timestamp($7 / 1000.0)
       FROM hazard_sources h JOIN enterprises e ON e.id = h.enterprise_id WHERE ${inScope('e')} AND h.id = $3
     RETURNING id, hazard_source_id, colour, reason, set_by, (extract(epoch FROM set_at) * 1000)::float8 AS set_at`,
    [...scopeArgs(scope), a.hazardSourceId, a.colour, a.reason, a.setBy, a.setAtMs],
  );
  return r.rows[0] ? assessmentOf(r.rows[0]) : null;
}

/** Assessments of a hazard source in scope, newest first; `beforeId` is the page cursor. */
export async function listRiskAssessments(
  db: Queryable,
  scope: DataScope,
  q: { hazardSourceId: string; beforeId?: number | undefined; limit: number },
): Promise<RiskAssessment[]> {
  const r = await db.query(
    `SELECT k.id, k.hazard_source_id, k.colour, k.reason, k.set_by, (extract(epoch FROM k.set_at) * 1000)::float8 AS set_at
       FROM hazard_source_risk k JOIN hazard_sources h ON h.id = k.hazard_source_id JOIN enterprises e ON e.id = h.enterprise_id
      WHERE ${inScope('e')} AND k.hazard_source_id = $3 AND ($4::int8 IS NULL OR k.id < $4)
      ORDER BY k.id DESC LIMIT $5`,
    [...scopeArgs(scope), q.hazardSourceId, q.beforeId ?? null, q.limit],
  );
  return r.rows.map(assessmentOf);
}

/** Current colour of every hazard source in scope among `ids` (sources never assessed are absent). */
export async function currentRiskColours(db: Queryable, scope: DataScope, ids: readonly string[]): Promise<Map<string, RiskAssessment>> {
  const r = await db.query(
    `SELECT DISTINCT ON (k.hazard_source_id) k.id, k.hazard_source_id, k.colour, k.reason, k.set_by,
            (extract(epoch FROM k.set_at) * 1000)::float8 AS set_at
       FROM hazard_source_risk k JOIN hazard_sources h ON h.id = k.hazard_source_id JOIN enterprises e ON e.id = h.enterprise_id
      WHERE ${inScope('e')} AND k.hazard_source_id = ANY($3::text[])
      ORDER BY k.hazard_source_id, k.id DESC`,
    [...scopeArgs(scope), ids],
  );
  return new Map(r.rows.map((row) => [String(row.hazard_source_id), assessmentOf(row)]));
}
