export { Batcher, type IngestState } from './batcher.js';
export { createIngest, type Ingest, type IngestDeps, type IngestSettings, type IngestTransport } from './ingest.js';
export { RegistryCache } from './registry-cache.js';
export { type AedesLike, attachToAedes } from './transports/aedes-hook.js';
export { type MessageHandler, startMqttPool } from './transports/mqtt-pool.js';
export { type MessageRows, type ValidationLimits, validateMessage } from './validate.js';
