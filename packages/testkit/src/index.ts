export * from './database.js';
export * from './docker.js';
export * from './ids.js';
export * from './mosquitto.js';
export * from './own-postgres.js';
export * from './ports.js';
export * from './redis.js';
export * from './wait.js';
