export { type EmbeddedBroker, startEmbeddedBroker } from './embedded-broker.js';
export { type EmbeddedPostgresHandle, startEmbeddedPostgres } from './embedded-postgres.js';
export { type RedisHandle, resolveRedis } from './redis-resolver.js';
export { createStandalone, type Standalone, type StandaloneEndpoints } from './standalone.js';
