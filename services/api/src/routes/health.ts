import { timingSafeEqual } from 'node:crypto';
import { metricsRegistry } from '@hazardwatch/observability';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { presentedKey } from '../auth/api-key.js';
import { verifyApiKey } from '../auth/authenticate.js';
import type { ReadinessProbe } from '../deps.js';
import { ApiError } from '../errors.js';
import { ErrorBodySchema } from '../schemas/error.js';
import type { RouteContext } from './context.js';

const CheckSchema = z.enum(['ok', 'fail', 'absent']);
const ReadySchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ database: CheckSchema, redis: CheckSchema, broker: CheckSchema }),
  })
  .meta({ id: 'Readiness' });

/** A probe that has not answered within the time is a failed probe. */
async function check(probe: ReadinessProbe | undefined, timeoutMs: number): Promise<z.infer<typeof CheckSchema>> {
  if (!probe) return 'absent';
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('probe timed out')), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch {
    return 'fail';
  } finally {
    clearTimeout(timer);
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** /healthz (process alive), /readyz (dependencies reachable), /metrics (Prometheus text). */
export const healthRoutes: FastifyPluginAsyncZod<
  RouteContext & { readiness: { redis?: ReadinessProbe; broker?: ReadinessProbe }; probeTimeoutMs?: number }
> = async (app, ctx) => {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: z.object({ status: z.literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: database, Redis and broker reachable (503 when one is not)',
        response: { 200: ReadySchema, 503: ReadySchema },
      },
    },
    async (_req, reply) => {
      const timeoutMs = ctx.probeTimeoutMs ?? 2_000;
      const [database, redis, broker] = await Promise.all([
        check(() => ctx.pool.query('SELECT 1'), timeoutMs),
        check(ctx.readiness.redis, timeoutMs),
        check(ctx.readiness.broker, timeoutMs),
      ]);
      const ready = database === 'ok' && redis !== 'fail' && broker !== 'fail';
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { database, redis, broker } });
    },
  );

  app.get(
    '/metrics',
    {
      config: { public: true },
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics of every service in this process, and HTTP metrics',
        response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: z.string() } } }, 401: ErrorBodySchema },
      },
    },
    async (req, reply) => {
      const mode = ctx.config.metrics;
      if (mode !== 'public') {
        const key = presentedKey(req.headers);
        const ok =
          mode === 'api-key'
            ? await verifyApiKey(ctx.pool, key, ctx.clock.now()).then((p) => typeof p !== 'string' && p.role === 'admin')
            : key !== null && sameSecret(key, mode.bearerToken);
        if (!ok) throw new ApiError('HW_API_UNAUTHENTICATED', 'metrics need a credential');
      }
      const text = await metricsRegistry.metrics();
      return reply.type(metricsRegistry.contentType).send(text);
    },
  );
};
