// HazardError lives in contracts (pure, no I/O) so pure packages can extend it; re-exported here for services.
export { HazardError } from '@hazardwatch/contracts';
export * from './logger.js';
export * from './metrics.js';
export * from './stop-all.js';
export * from './throttle.js';
