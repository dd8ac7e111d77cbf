export { BoolFromEnv, type Env, EnvSchema } from './env-schema.js';
export { type Config, ConfigError, loadConfig } from './load-config.js';
