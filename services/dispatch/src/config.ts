import { type Config, ConfigError, DispatchEnvSchema, loadConfig } from '@hazardwatch/config';

/**
 * Dispatch's settings: the DISPATCH_* variables of the one environment schema of
 * `@hazardwatch/config` (`EnvSchema`, documented in services/dispatch/README.md), as
 * `loadConfig(env).dispatch`. Frozen, every duration in ms.
 */
export type DispatchSettings = Readonly<Config['dispatch']>;

/** The DISPATCH_* part of `EnvSchema` (defined in `@hazardwatch/config`). */
export { DispatchEnvSchema };

/** The error of a wrong variable: `ConfigError` of `@hazardwatch/config`, naming each (key values never echoed). */
export { ConfigError as DispatchConfigError };

/** Dispatch's settings from the DISPATCH_* variables of `env` alone (main.ts takes `loadConfig(env).dispatch`). */
export function loadDispatchSettings(env: Record<string, string | undefined>): DispatchSettings {
  return loadConfig(Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('DISPATCH_')))).dispatch;
}

/** Settings for tests and embedding: the defaults with some fields replaced. */
export function dispatchSettings(overrides: Partial<DispatchSettings> = {}): DispatchSettings {
  return Object.freeze({ ...loadConfig({}).dispatch, ...overrides });
}
