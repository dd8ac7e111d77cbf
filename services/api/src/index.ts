export { API_PREFIX, buildApp, listRoutes, type RouteInfo } from './app.js';
export { apiKeyId, generateApiKey, hashApiKey } from './auth/api-key.js';
export { createApiKey, DEFAULT_KEY_LIFETIME_MS, ensureAdminKey } from './auth/keys.js';
export { type Principal, PrincipalSchema, type Role, RoleSchema } from './auth/principal.js';
export { scopeOf } from './auth/scope.js';
export { type Api, createApi } from './create-api.js';
export {
  type ApiConfig,
  type ApiConfigInput,
  ApiConfigSchema,
  type ApiDeps,
  type Clock,
  type LatchResetQueues,
  type LiveEventSource,
  type ReadinessProbe,
  systemClock,
} from './deps.js';
export { API_ERRORS, ApiError, type ApiErrorCode } from './errors.js';
export { LatestBodies } from './latest-body.js';
export { brokerProbe, tcpProbe } from './probes.js';
export { LocalCounters, type SharedRateLimits, sharedRateLimitStore } from './rate-limit-store.js';
export { LatestResponseSchema } from './schemas/telemetry.js';
