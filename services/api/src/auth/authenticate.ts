import { findApiKeyForAuth, type Pool, touchApiKey } from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../deps.js';
import { ApiError } from '../errors.js';
import { apiKeyId, apiKeyMatches, presentedKey } from './api-key.js';
import { type Principal, PrincipalSchema } from './principal.js';

/** How stale a key's `lastUsedAt` may be (touchApiKey's own condition says the same). */
const TOUCH_INTERVAL_MS = 60_000;

/** Why a key was refused; logged (never answered: the client only learns "401"). */
type Refusal = 'missing' | 'malformed' | 'unknown' | 'mismatch' | 'revoked' | 'expired' | 'corrupt';

/** Check a presented key against the stored hash, expiry and revocation; the principal or the reason it failed. */
export async function verifyApiKey(pool: Pool, key: string | null, nowMs: number): Promise<Principal | Refusal> {
  if (key === null) return 'missing';
  const id = apiKeyId(key);
  if (id === null) return 'malformed';
  const found = await findApiKeyForAuth(pool, id);
  if (!found) return 'unknown';
  if (!apiKeyMatches(key, found.keyHash)) return 'mismatch';
  const r = found.record;
  if (r.revokedAt !== null) return 'revoked';
  if (r.expiresAt !== null && r.expiresAt <= nowMs) return 'expired';
  // The row's role and scope are parsed like any input: a corrupt row authenticates nobody.
  const p = PrincipalSchema.safeParse({
    keyId: r.id,
    name: r.name,
    role: r.role,
    ...(r.enterpriseId === null ? {} : { enterpriseId: r.enterpriseId }),
    ...(r.regionPrefix === null ? {} : { regionPrefix: r.regionPrefix }),
  });
  if (!p.success) return 'corrupt';
  // At most once a minute per key, and known from the row just read: no round trip on most requests.
  if (r.lastUsedAt === null || nowMs - r.lastUsedAt >= TOUCH_INTERVAL_MS) await touchApiKey(pool, r.id, nowMs);
  return p.data;
}

/**
 * Authentication and role checks for every route of the scope it is registered in:
 * - `onRoute`: a route must declare `config.roles` or `config.public`, so none is open by mistake;
 * - `onRequest`: the key is verified; failures count per client address (@fastify/rate-limit
 *   store), and past the limit the answer is 429 before the key is even looked at;
 * - `preHandler`: the role must be among the route's roles (403 otherwise).
 */
export function registerAuthentication(
  app: FastifyInstance,
  deps: { pool: Pool; clock: Clock; log: Logger; failureLimit: { max: number; windowMs: number } },
): void {
  app.addHook('onRoute', (route) => {
    const cfg = route.config;
    if (!cfg?.public && !(cfg?.roles && cfg.roles.length > 0)) throw new Error(`route ${route.method} ${route.url} declares neither roles nor public`);
  });

  const failures = app.createRateLimit({
    max: deps.failureLimit.max,
    timeWindow: deps.failureLimit.windowMs,
    keyGenerator: (req: FastifyRequest) => `auth-failures:${req.ip}`,
  });
  const limited = () => new ApiError('HW_API_RATE_LIMITED', 'too many failed authentications from this address; retry later');

  app.addHook('onRequest', async (req: FastifyRequest) => {
    req.principal = null;
    if (req.routeOptions.config?.public) return;
    const before = await failures(req, { increment: false });
    // `max` failures are allowed per window; from then on the address gets 429 until the window ends.
    if (!before.isAllowed && before.remaining <= 0) throw limited();
    const result = await verifyApiKey(deps.pool, presentedKey(req.headers), deps.clock.now());
    if (typeof result !== 'string') {
      req.principal = result;
      return;
    }
    deps.log.info({ reason: result, ip: req.ip, route: req.routeOptions.url }, 'authentication failed');
    const after = await failures(req);
    if (!after.isAllowed && after.isExceeded) throw limited();
    throw new ApiError(
      'HW_API_UNAUTHENTICATED',
      result === 'missing' ? 'an API key is required (Authorization: Bearer <key> or X-API-Key)' : 'invalid API key',
    );
  });

  app.addHook('preHandler', async (req) => {
    const cfg = req.routeOptions.config;
    if (cfg?.public) return;
    const roles = cfg?.roles ?? [];
    const p = req.principal;
    if (!p) throw new ApiError('HW_API_UNAUTHENTICATED', 'an API key is required');
    if (!roles.includes(p.role)) throw new ApiError('HW_API_FORBIDDEN', `the ${p.role} role may not do this`);
  });
}
