import { HazardError } from '@hazardwatch/contracts';

/**
 * Errors of the simulators. Each carries a stable `code` (`HW_SIM_<WHAT>`) to
 * branch on; never branch on `message`.
 */
export class SimulatorError extends HazardError {}

/** A site file cannot be read or does not match `SiteFileSchema`; `issues` lists each problem with its path. */
export class SiteFileError extends SimulatorError {
  constructor(
    readonly file: string,
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super('HW_SIM_SITE_FILE_INVALID', `invalid site file ${file}:\n${issues.map((i) => `  - ${i}`).join('\n')}`, options);
  }
}

/** Scenario or run options that do not fit together (bad duration, missing points in a custom site, …). */
export class ScenarioOptionsError extends SimulatorError {
  constructor(readonly issues: readonly string[]) {
    super('HW_SIM_OPTIONS_INVALID', `invalid simulator options:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

/** The broker could not be reached or refused the connection. */
export class BrokerConnectError extends SimulatorError {
  constructor(brokerUrl: string, options?: { cause?: unknown }) {
    super('HW_SIM_BROKER_CONNECT', `cannot connect to the MQTT broker at ${redactUrl(brokerUrl)}`, options);
  }
}

/** Drops credentials from a URL before it goes into a message. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
