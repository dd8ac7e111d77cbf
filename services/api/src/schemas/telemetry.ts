import { ColourSchema, DeadLetterReasonSchema, EnterpriseIdSchema, HazardSourceIdSchema, QualitySchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { QueryTimeSchema } from './time.js';

export const LatestQuerySchema = z
  .object({
    enterpriseId: EnterpriseIdSchema.optional(),
    hazardSourceId: HazardSourceIdSchema.optional(),
    view: z
      .enum(['full', 'values'])
      .default('full')
      .describe('full: registry fields and latest reading per point; values: pointId, ts, value, quality only (for pollers that fetched the registry once)'),
  })
  .refine((q) => (q.enterpriseId === undefined) !== (q.hazardSourceId === undefined), {
    message: 'give exactly one of enterpriseId and hazardSourceId',
    path: ['enterpriseId'],
  });

export const PointLatestSchema = z
  .object({
    pointId: z.number().int(),
    deviceId: z.string(),
    channel: z.string(),
    hazardSourceId: z.string(),
    name: z.string().nullable(),
    kind: z.string(),
    unit: z.string(),
    ts: z.number().int().nullable().describe('epoch ms of the latest reading; null when the point never reported'),
    value: z.number().nullable(),
    quality: QualitySchema.nullable(),
  })
  .meta({ id: 'PointLatest' });
export const LatestResponseSchema = z.object({ items: z.array(PointLatestSchema) });
export const PointLatestValueSchema = PointLatestSchema.pick({ pointId: true, ts: true, value: true, quality: true }).meta({ id: 'PointLatestValue' });
/** `view=values`: the same points, order and values as the full view, without the registry fields. */
export const LatestValuesResponseSchema = z.object({ items: z.array(PointLatestValueSchema) });

/** `points=1,2,3`: the points of a series or export (comma-separated ids). */
export const PointListParam = z
  .string()
  .regex(/^\d{1,10}(,\d{1,10})*$/, 'comma-separated point ids')
  .transform((s) => [...new Set(s.split(',').map(Number))]);

export const SeriesQuerySchema = z
  .object({
    points: PointListParam,
    from: QueryTimeSchema,
    to: QueryTimeSchema,
    bucket: z.enum(['raw', '1m', '1h', 'auto']).default('auto').describe('auto: raw up to 6 h, 1 min up to 7 days, else 1 h'),
  })
  .refine((q) => q.to > q.from, { message: 'to must be after from', path: ['to'] });

export const SeriesPointSchema = z
  .object({
    pointId: z.number().int(),
    ts: z.number().int().describe('epoch ms of the sample (raw) or of the bucket start'),
    avg: z.number(),
    min: z.number(),
    max: z.number(),
    last: z.number(),
    samples: z.number().int(),
  })
  .meta({ id: 'SeriesPoint' });
export const SeriesResponseSchema = z.object({
  bucket: z.enum(['raw', '1m', '1h']),
  from: z.number().int(),
  to: z.number().int(),
  items: z.array(SeriesPointSchema),
  truncated: z.boolean().describe('the row limit was reached: narrow the range or use a coarser bucket'),
});

export const ExportQuerySchema = z
  .object({ points: PointListParam, from: QueryTimeSchema, to: QueryTimeSchema })
  .refine((q) => q.to > q.from, { message: 'to must be after from', path: ['to'] });

export const TrackQuerySchema = z
  .object({
    from: QueryTimeSchema,
    to: QueryTimeSchema,
    cursor: z.string().max(500).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .refine((q) => q.to > q.from, { message: 'to must be after from', path: ['to'] });

export const TrackPointSchema = z
  .object({
    ts: z.number().int(),
    lat: z.number(),
    lon: z.number(),
    speedKmh: z.number(),
    heading: z.number(),
    altitudeM: z.number().nullable(),
    accOn: z.boolean().nullable(),
    alarmFlags: z.number().int().nullable(),
  })
  .meta({ id: 'TrackPoint' });

export const DeadLetterQuerySchema = z.object({
  reason: DeadLetterReasonSchema.optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const DeadLetterSchema = z
  .object({
    id: z.number().int(),
    receivedAt: z.number().int(),
    topic: z.string(),
    enterpriseId: z.string().nullable(),
    deviceId: z.string().nullable(),
    reason: z.string(),
    detail: z.string(),
    payload: z.string(),
    payloadEncoding: z.enum(['utf8', 'base64']),
    payloadBytes: z.number().int(),
    truncated: z.boolean(),
  })
  .meta({ id: 'DeadLetter' });

export const RiskAssessmentSchema = z
  .object({
    id: z.number().int(),
    hazardSourceId: z.string(),
    colour: ColourSchema,
    reason: z.string(),
    setBy: z.string(),
    setAt: z.number().int(),
  })
  .meta({ id: 'RiskAssessment' });
export const SetRiskBodySchema = z
  .object({ colour: ColourSchema.describe('red 重大 / orange 较大 / yellow 一般 / blue 低风险'), reason: z.string().max(1000).default('') })
  .strict();
export const CurrentRiskSchema = z.object({ hazardSourceId: z.string(), current: RiskAssessmentSchema.nullable() });
