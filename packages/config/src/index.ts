export { BoolFromEnv, DispatchEnvSchema, type Env, EnvSchema } from './env-schema.js';
export { type Config, ConfigError, loadConfig, loadConfigOrExit } from './load-config.js';
