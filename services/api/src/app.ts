import './auth/fastify-types.js';
import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { registerAuthentication } from './auth/authenticate.js';
import type { Role } from './auth/principal.js';
import { ApiConfigSchema, type ApiDeps, systemClock } from './deps.js';
import { registerErrorHandling } from './error-handler.js';
import { ApiError } from './errors.js';
import { registerHttpMetrics } from './http-metrics.js';
import { tidyOpenApiDocument } from './openapi-document.js';
import { sharedRateLimitStore } from './rate-limit-store.js';
import { alarmRoutes } from './routes/alarms.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { brokerRoutes } from './routes/broker.js';
import type { RouteContext } from './routes/context.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { deviceRoutes } from './routes/devices.js';
import { dispatchTargetRoutes } from './routes/dispatch-targets.js';
import { enterpriseRoutes } from './routes/enterprises.js';
import { geofenceRoutes } from './routes/geofences.js';
import { gradingRoutes } from './routes/grading.js';
import { hazardSourceRoutes } from './routes/hazard-sources.js';
import { healthRoutes } from './routes/health.js';
import { pointRoutes } from './routes/points.js';
import { riskRoutes } from './routes/risk.js';
import { ruleBacktestRoutes } from './routes/rule-backtest.js';
import { rulePresetRoutes } from './routes/rule-presets.js';
import { ruleRoutes } from './routes/rules.js';
import { siteFileRoutes } from './routes/site-files.js';
import { streamRoutes } from './routes/stream.js';
import { telemetryRoutes } from './routes/telemetry.js';
import { vehicleRoutes } from './routes/vehicles.js';

export const API_PREFIX = '/api/v1';

/** One route of the app: what the OpenAPI document and the scope matrix test must cover. */
export interface RouteInfo {
  method: string;
  url: string;
  roles: readonly Role[];
  public: boolean;
  hidden: boolean;
}

const routeTables = new WeakMap<FastifyInstance, RouteInfo[]>();

/** Every route `buildApp` registered (HEAD routes excluded). */
export function listRoutes(app: FastifyInstance): readonly RouteInfo[] {
  return routeTables.get(app) ?? [];
}

/**
 * The API as a Fastify instance, not listening: tests call `inject()`, `createApi`
 * listens. Opens no connection of its own; the pool (and Redis) belong to the caller.
 */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const config = ApiConfigSchema.parse(deps.config ?? {});
  const clock = deps.clock ?? systemClock;
  const log = deps.log.child({ service: 'api' });
  const logger: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
  });
  const table: RouteInfo[] = [];
  routeTables.set(app, table);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      if (method === 'HEAD') continue;
      const hidden = typeof r.schema === 'object' && r.schema !== null && 'hide' in r.schema && r.schema.hide === true;
      table.push({ method, url: r.url, roles: r.config?.roles ?? [], public: r.config?.public === true, hidden });
    }
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);
  registerErrorHandling(app);
  registerHttpMetrics(app);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'hazardwatch API',
        version: '1.0.0',
        description:
          'Major hazard source monitoring and early warning. Authenticate with `Authorization: Bearer <key>` or `X-API-Key: <key>`. ' +
          'Errors are `{ code, message, details? }`; lists are paged with an opaque `cursor`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API key as a bearer token' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', transformSpecification: (spec) => tidyOpenApiDocument(spec) });
  await app.register(rateLimit, {
    global: false,
    ...(deps.rateLimits ? { store: sharedRateLimitStore(deps.rateLimits, log) } : {}),
    errorResponseBuilder: () => new ApiError('HW_API_RATE_LIMITED', 'too many requests; retry later'),
  });

  const ctx: RouteContext = {
    pool: deps.pool,
    clock,
    config,
    log,
    liveStream: deps.liveStream,
    publishEvents: deps.publishEvents,
    dispatchSecrets: deps.dispatchSecrets,
    latchReset: deps.latchReset,
    latestValues: deps.latestValues,
  };
  const redis = deps.redis;
  const redisProbe = deps.readiness?.redis ?? (redis ? () => redis.ping() : undefined);
  await app.register(healthRoutes, {
    ...ctx,
    readiness: { ...(redisProbe ? { redis: redisProbe } : {}), ...(deps.readiness?.broker ? { broker: deps.readiness.broker } : {}) },
  });

  await app.register(
    async (api) => {
      registerAuthentication(api, { pool: deps.pool, clock, log, failureLimit: config.authFailureLimit });
      api.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => tidyOpenApiDocument(app.swagger()));
      await api.register(enterpriseRoutes, ctx);
      await api.register(hazardSourceRoutes, ctx);
      await api.register(gradingRoutes, ctx);
      await api.register(riskRoutes, ctx);
      await api.register(deviceRoutes, ctx);
      await api.register(pointRoutes, ctx);
      await api.register(vehicleRoutes, ctx);
      await api.register(geofenceRoutes, ctx);
      await api.register(siteFileRoutes, ctx);
      await api.register(telemetryRoutes, ctx);
      await api.register(deadLetterRoutes, ctx);
      await api.register(alarmRoutes, ctx);
      await api.register(streamRoutes, ctx);
      await api.register(ruleRoutes, ctx);
      await api.register(rulePresetRoutes, ctx);
      await api.register(ruleBacktestRoutes, ctx);
      await api.register(dispatchTargetRoutes, ctx);
      await api.register(apiKeyRoutes, ctx);
      await api.register(brokerRoutes, ctx);
    },
    { prefix: API_PREFIX },
  );
  return app;
}
