import type { RateLimitOptions } from '@fastify/rate-limit';
import type { AlarmEvent } from '@hazardwatch/contracts';
import type { Pool, SecretBox } from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig, Clock, LatchResetQueues, LiveEventSource } from '../deps.js';
import type { LatestValuesSource } from '../latest-body.js';

/** What every route plugin receives (as its options). */
export interface RouteContext {
  pool: Pool;
  clock: Clock;
  config: ApiConfig;
  log: Logger;
  liveStream?: LiveEventSource | undefined;
  publishEvents?: ((events: readonly AlarmEvent[]) => Promise<void>) | undefined;
  dispatchSecrets?: SecretBox | undefined;
  latchReset?: LatchResetQueues | undefined;
  latestValues?: LatestValuesSource | undefined;
}

/**
 * Rate limit of an expensive route, per API key (after authentication, so it never
 * counts anonymous traffic; that is the authentication-failure limit's job).
 */
export function expensive(ctx: RouteContext): RateLimitOptions {
  return {
    max: ctx.config.expensiveQueryLimit.max,
    timeWindow: ctx.config.expensiveQueryLimit.windowMs,
    hook: 'preHandler',
    keyGenerator: (req: FastifyRequest) => (req.principal ? `key:${req.principal.keyId}` : `ip:${req.ip}`),
  };
}
