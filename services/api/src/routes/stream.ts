import { PassThrough } from 'node:stream';
import type { AlarmEvent, DispatchScope } from '@hazardwatch/contracts';
import { EnterpriseIdSchema, RegionPrefixSchema } from '@hazardwatch/contracts';
import { getEnterprise } from '@hazardwatch/db';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import { accessOf, storeScopeOf } from '../auth/scope.js';
import { ApiError, invalid, notFound } from '../errors.js';
import { AUTHED_ERRORS, ErrorBodySchema } from '../schemas/error.js';
import type { RouteContext } from './context.js';

const StreamQuery = z.object({
  enterpriseId: EnterpriseIdSchema.optional().describe('follow one enterprise (within your scope)'),
  region: RegionPrefixSchema.optional().describe('follow a region (within your scope); an admin must give this or enterpriseId'),
  lastEventId: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional()
    .describe('resume after this seq (same as the Last-Event-ID header)'),
});
const StreamHeaders = z.looseObject({
  'last-event-id': z
    .string()
    .regex(/^\d{1,15}$/)
    .optional(),
});

/** Comment lines keep proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

function frame(e: AlarmEvent): string {
  return `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
}

/** GET /stream: the caller's alarm events as Server-Sent Events, resuming after Last-Event-ID. */
export const streamRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/stream',
    {
      config: { roles: ROLES.read },
      schema: {
        tags: ['alarms'],
        summary: 'Live alarm events of your scope (SSE); reconnect with Last-Event-ID to replay what you missed',
        querystring: StreamQuery,
        headers: StreamHeaders,
        response: {
          200: {
            description: 'text/event-stream: `id: <seq>`, `event: <type>`, `data: <AlarmEvent JSON>`',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          ...AUTHED_ERRORS,
          503: ErrorBodySchema,
        },
      },
    },
    async (req, reply) => {
      const { scope } = accessOf(req);
      const source = ctx.liveStream;
      if (!source) throw new ApiError('HW_API_UNAVAILABLE', 'the live stream is not running in this process');
      const q = req.query;
      const narrowed = storeScopeOf(scope, q);
      if (!narrowed) throw notFound(q.enterpriseId === undefined ? 'region' : 'enterprise');
      let target: DispatchScope;
      const enterpriseId = narrowed.enterpriseIds?.[0];
      if (enterpriseId !== undefined) {
        // One enterprise: it must exist in scope (and lie in the region asked for, if any).
        const e = await getEnterprise(ctx.pool, scope, enterpriseId);
        if (!e || (narrowed.regionPrefix !== undefined && !e.regionCode.startsWith(narrowed.regionPrefix))) throw notFound('enterprise');
        target = { enterpriseId };
      } else if (narrowed.regionPrefix !== undefined) target = { regionPrefix: narrowed.regionPrefix };
      else throw invalid('query.region', 'give region or enterpriseId: an admin follows one region or enterprise at a time');

      const sub = source.subscribe(target, req.headers['last-event-id'] ?? q.lastEventId ?? null);
      const out = new PassThrough();
      const heartbeat = setInterval(() => out.write(': keepalive\n\n'), HEARTBEAT_MS);
      const finish = () => {
        clearInterval(heartbeat);
        sub.close();
        out.end();
      };
      req.raw.on('close', finish);
      out.write(': connected\n\n');
      void (async () => {
        try {
          for await (const e of sub) out.write(frame(e));
        } catch (err) {
          // Overflow or a lost connection: end the response; the client reconnects with Last-Event-ID.
          req.log.warn({ err }, 'live stream ended');
        } finally {
          finish();
        }
      })();
      const untyped: FastifyReply = reply;
      return untyped
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .send(out);
    },
  );
};
