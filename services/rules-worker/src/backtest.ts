import { RuleDocumentSchema } from '@hazardwatch/contracts';
import { listRuleInputs, type Pool, rulePointIds } from '@hazardwatch/db';
import { type BacktestResult, backtest, MAX_BACKTEST_TICKS } from '@hazardwatch/rules';
import { RulesWorkerError, RulesWorkerErrorCode } from './errors.js';

/** Most stored readings (and, apart, positions) one backtest reads. */
export const MAX_BACKTEST_ROWS = 2_000_000;

export type RuleBacktestResult = Omit<BacktestResult, 'finalState'> & {
  readings: number;
  positions: number;
  tickMs: number;
};

/**
 * Runs a rule document (a draft, not necessarily stored or enabled) over the readings and
 * positions stored in [from, to] and returns the transitions it would have produced, with
 * counts per level and colour: the engine's `backtest`, fed from the database. Readings ingest
 * refused as out of instrument range are not stored, so a backtest does not see them.
 * Throws `HW_RULES_WORKER_BACKTEST_INVALID` (reasons) or `HW_RULES_WORKER_BACKTEST_TOO_LARGE`.
 */
export async function backtestRule(pool: Pool, document: unknown, range: { from: number; to: number; tickMs?: number }): Promise<RuleBacktestResult> {
  const parsed = RuleDocumentSchema.safeParse(document);
  if (!parsed.success)
    throw new RulesWorkerError(
      RulesWorkerErrorCode.BacktestInvalid,
      'invalid rule document',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  const rule = parsed.data;
  if (!(Number.isInteger(range.from) && Number.isInteger(range.to) && range.from <= range.to))
    throw new RulesWorkerError(RulesWorkerErrorCode.BacktestInvalid, 'invalid range', ['to: from must be a time (epoch ms) not after to']);
  // Deadlines fire at their own time whatever the tick spacing: the tick only cuts the work.
  const tickMs = range.tickMs ?? Math.max(60_000, Math.ceil((range.to - range.from) / MAX_BACKTEST_TICKS));
  const inputs = await listRuleInputs(pool, {
    pointIds: rulePointIds(rule),
    vehicleIds: rule.kind === 'vehicle' && rule.vehicleId !== null ? [rule.vehicleId] : undefined,
    fleetEnterpriseId: rule.kind === 'vehicle' && rule.vehicleId === null ? rule.enterpriseId : undefined,
    from: range.from,
    to: range.to,
    maxRows: MAX_BACKTEST_ROWS,
  });
  if (inputs.truncated)
    throw new RulesWorkerError(RulesWorkerErrorCode.BacktestTooLarge, `more than ${MAX_BACKTEST_ROWS} stored inputs in the range: shorten it`);
  try {
    const { finalState: _finalState, ...result } = backtest(rule, inputs.readings, inputs.positions, { from: range.from, to: range.to, tickMs });
    return { ...result, readings: inputs.readings.length, positions: inputs.positions.length, tickMs };
  } catch (err) {
    const reasons = typeof err === 'object' && err !== null && 'details' in err && Array.isArray(err.details) ? err.details.map(String) : [];
    if (typeof err === 'object' && err !== null && 'code' in err && err.code === 'HW_RULES_BACKTEST_OPTIONS')
      throw new RulesWorkerError(RulesWorkerErrorCode.BacktestInvalid, 'invalid backtest range', reasons, { cause: err });
    throw err;
  }
}
