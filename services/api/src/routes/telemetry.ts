import { Readable } from 'node:stream';
import type { DataScope, Pool } from '@hazardwatch/db';
import { autoBucket, getEnterprise, getHazardSource, getVehicle, pointsInScope, type RegisteredPoint, readingSeries, vehicleTrack } from '@hazardwatch/db';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { csvField } from '../csv-field.js';
import { invalid, notFound } from '../errors.js';
import { LatestBodies } from '../latest-body.js';
import { watchRegistry } from '../registry-watch.js';
import { AUTHED_ERRORS } from '../schemas/error.js';
import { decodeNumberCursor, pageOf, toPage } from '../schemas/page.js';
import { VehicleParams } from '../schemas/registry.js';
import {
  ExportQuerySchema,
  LatestQuerySchema,
  LatestResponseSchema,
  LatestValuesResponseSchema,
  SeriesQuerySchema,
  SeriesResponseSchema,
  TrackPointSchema,
  TrackQuerySchema,
} from '../schemas/telemetry.js';
import { expensive, type RouteContext } from './context.js';

/** Most rows one series answer carries; beyond it the answer says `truncated`. */
const SERIES_ROW_LIMIT = 100_000;
/** Rows read per round trip while streaming a CSV export. */
const EXPORT_PAGE_ROWS = 10_000;

/** Every requested point must be in scope; one that is not reads as unknown (404), never as empty data. */
async function requirePoints(pool: Pool, scope: DataScope, ids: number[], max: number): Promise<RegisteredPoint[]> {
  if (ids.length > max) throw invalid('query.points', `at most ${max} points per request`);
  const found = await pointsInScope(pool, scope, ids);
  const known = new Set(found.map((p) => p.id));
  const missing = ids.find((id) => !known.has(id));
  if (missing !== undefined) throw notFound(`point ${missing}`);
  return found;
}

/** Readings of points over a range, as CSV, read page by page (keyset per point) so memory stays flat. */
async function* csvRows(pool: Pool, points: RegisteredPoint[], fromMs: number, toMs: number): AsyncGenerator<string> {
  yield 'point_id,device_id,channel,unit,time,epoch_ms,value\n';
  for (const p of points) {
    const prefix = `${p.id},${csvField(p.deviceId)},${csvField(p.channel)},${csvField(p.unit)},`;
    let from = fromMs;
    for (;;) {
      const rows = await readingSeries(pool, { pointIds: [p.id], fromMs: from, toMs, bucket: 'raw', limit: EXPORT_PAGE_ROWS });
      if (rows.length === 0) break;
      let chunk = '';
      for (const r of rows) {
        const ts = Math.round(r.ts);
        chunk += `${prefix}${new Date(ts).toISOString()},${ts},${r.last}\n`;
      }
      yield chunk;
      const last = rows.at(-1);
      if (rows.length < EXPORT_PAGE_ROWS || last === undefined) break;
      // Readings are stored at millisecond resolution and unique per (point, time).
      from = Math.round(last.ts) + 1;
    }
  }
}

/** Latest values, series, CSV export and vehicle tracks, all within the caller's scope. */
export const telemetryRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  // With the Redis copy, change notifications stand in for the per-request registry
  // fingerprint query (registry-watch.ts, latest-body.ts).
  const registry = ctx.latestValues ? watchRegistry(ctx.pool, ctx.log) : undefined;
  if (registry) app.addHook('onClose', () => registry.close());
  const latestBodies = new LatestBodies(ctx.pool, { source: ctx.latestValues, registry, log: ctx.log });
  app.get(
    '/telemetry/latest',
    {
      config: { roles: ROLES.read, rateLimit: expensive(ctx) },
      schema: {
        tags: ['telemetry'],
        summary: 'Latest value and quality of every point of an enterprise or of a hazard source',
        description:
          "Points in id order. `view=full` (default) carries each point's registry fields; `view=values` only pointId, ts, value and quality " +
          '(about 40 % of the bytes), for pollers that read the registry once (e.g. this route with view=full, or /points).',
        querystring: LatestQuerySchema,
        response: { 200: z.union([LatestResponseSchema, LatestValuesResponseSchema]), ...AUTHED_ERRORS },
      },
    },
    async (req, reply) => {
      const { scope } = accessOf(req);
      const { enterpriseId, hazardSourceId, view } = req.query;
      let of: { enterpriseId: string } | { hazardSourceId: string };
      if (enterpriseId !== undefined) {
        if (!(await getEnterprise(ctx.pool, scope, enterpriseId))) throw notFound('enterprise');
        of = { enterpriseId };
      } else {
        if (hazardSourceId === undefined || !(await getHazardSource(ctx.pool, scope, hazardSourceId))) throw notFound('hazard source');
        of = { hazardSourceId };
      }
      // The body comes ready (latest-body.ts) and a JSON string with a JSON content type skips the
      // response serializer, which for 10,000 items cost more than the query. The schema still
      // documents it; telemetry.test.ts checks the body against it and against latestOfPoints.
      // The values come from the Redis copy when the API has one (latest-body.ts).
      const answer = await latestBodies.answer(scope, of, view);
      // The answer's buffer is reused once written to the socket ('finish'); an aborted response
      // never finishes and leaves it to the garbage collector.
      reply.raw.once('finish', answer.done);
      const untyped: FastifyReply = reply;
      return untyped.type('application/json; charset=utf-8').send(answer.body);
    },
  );

  app.get(
    '/telemetry/series',
    {
      config: { roles: ROLES.read, rateLimit: expensive(ctx) },
      schema: {
        tags: ['telemetry'],
        summary: 'Series of one or several points over [from, to), raw or in 1 min / 1 h buckets',
        querystring: SeriesQuerySchema,
        response: { 200: SeriesResponseSchema, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const { scope } = accessOf(req);
      const q = req.query;
      await requirePoints(ctx.pool, scope, q.points, ctx.config.maxSeriesPoints);
      const bucket = q.bucket === 'auto' ? autoBucket(q.from, q.to) : q.bucket;
      const rows = await readingSeries(ctx.pool, { pointIds: q.points, fromMs: q.from, toMs: q.to, bucket, limit: SERIES_ROW_LIMIT + 1 });
      const items = rows.slice(0, SERIES_ROW_LIMIT).map((r) => ({ ...r, ts: Math.round(r.ts) }));
      return { bucket, from: q.from, to: q.to, items, truncated: rows.length > SERIES_ROW_LIMIT };
    },
  );

  app.get(
    '/telemetry/export.csv',
    {
      config: { roles: ROLES.read, rateLimit: expensive(ctx) },
      schema: {
        tags: ['telemetry'],
        summary: 'Raw readings of points over [from, to) as CSV, streamed',
        querystring: ExportQuerySchema,
        response: { 200: { description: 'CSV, one reading a line', content: { 'text/csv': { schema: z.string() } } }, ...AUTHED_ERRORS },
      },
    },
    async (req, reply) => {
      const { scope } = accessOf(req);
      const q = req.query;
      const points = await requirePoints(ctx.pool, scope, q.points, ctx.config.maxSeriesPoints);
      const stream = Readable.from(csvRows(ctx.pool, points, q.from, q.to));
      stream.on('error', (err) => req.log.error({ err }, 'CSV export failed mid-stream'));
      // The schema documents the CSV text; the body itself is a stream of it.
      const untyped: FastifyReply = reply;
      return untyped.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="readings-${q.from}-${q.to}.csv"`).send(stream);
    },
  );

  app.get(
    '/vehicles/:vehicleId/track',
    {
      config: { roles: ROLES.read, rateLimit: expensive(ctx) },
      schema: {
        tags: ['telemetry'],
        summary: "A vehicle's positions over [from, to), oldest first, paged",
        params: VehicleParams,
        querystring: TrackQuerySchema,
        response: { 200: pageOf(TrackPointSchema), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const { scope } = accessOf(req);
      const q = req.query;
      if (!(await getVehicle(ctx.pool, scope, req.params.vehicleId))) throw notFound('vehicle');
      const rows = await vehicleTrack(ctx.pool, scope, {
        vehicleId: req.params.vehicleId,
        fromMs: q.from,
        toMs: q.to,
        afterMs: decodeNumberCursor(q.cursor),
        limit: q.limit + 1,
      });
      return toPage(rows, q.limit, (p) => p.ts);
    },
  );
};
