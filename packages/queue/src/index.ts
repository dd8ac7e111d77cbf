export * from './evaluate-queues.js';
export * from './latest-values.js';
export * from './latest-values-retention.js';
export * from './names.js';
export * from './partition.js';
export * from './redis.js';
