import { CLI_USAGE, type CliEnv, CliEnvSchema, type CliFlags, CliUsageError, parseCliArgs } from './cli-options.js';
import { BrokerConnectError, redactUrl, ScenarioOptionsError, SiteFileError } from './errors.js';
import { loadSiteIntoRegistry } from './load-site.js';
import { type Progress, resolveRunTiming, runScenario, type Summary } from './publisher.js';
import { buildScenario } from './scenario.js';
import { readSiteFile } from './site-files.js';

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function progressLine(p: Progress): string {
  return `sent ${fmt(p.sent)}  acked ${fmt(p.acknowledged)}  failed ${fmt(p.failed)}  in flight ${fmt(p.inFlight)}  ${fmt(p.ratePerS)} msg/s  sim ${iso(p.virtualNowMs)}`;
}

function summaryText(s: Summary): string {
  const f = s.messagesByFamily;
  return [
    `scenario ${s.scenario} (seed ${s.seed}, QoS ${s.qos}, ${s.connections} connection${s.connections === 1 ? '' : 's'})${s.aborted ? ' — stopped early' : ''}`,
    `sent ${fmt(s.sent)}  acknowledged ${fmt(s.acknowledged)}  failed ${fmt(s.failed)}`,
    `telemetry ${fmt(f.telemetry)} (${fmt(s.readings)} readings)  position ${fmt(f.position)}  status ${fmt(f.status)}`,
    `elapsed ${(s.elapsedMs / 1000).toFixed(2)} s  ${fmt(s.ratePerS)} msg/s`,
    `simulated ${iso(s.virtualStartMs)} → ${iso(s.virtualEndMs)}`,
    ...(s.lastError ? [`last error: ${s.lastError}`] : []),
  ].join('\n');
}

async function main(argv: readonly string[], env: CliEnv): Promise<number> {
  let flags: CliFlags | 'help';
  try {
    flags = parseCliArgs(argv);
  } catch (err) {
    if (err instanceof CliUsageError) {
      console.error(`${err.message}\n\n${CLI_USAGE}`);
      return EXIT_USAGE;
    }
    throw err;
  }
  if (flags === 'help') {
    console.log(CLI_USAGE);
    return 0;
  }

  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  try {
    const site = flags.site ? await readSiteFile(flags.site) : undefined;
    const scenarioOptions = {
      seed: flags.seed,
      durationS: flags.duration,
      rateHz: flags.rate,
      devices: flags.devices,
      channels: flags.channels,
      topicPrefix: flags.topicPrefix ?? env.MQTT_TOPIC_PREFIX ?? '',
      site,
    };
    // Validates the scenario options before anything connects.
    const built = buildScenario(flags.scenario, { ...scenarioOptions, startMs: Date.now() });
    resolveRunTiming({ scenario: flags.scenario, durationS: flags.duration, speed: flags.speed });

    if (flags.loadSite) {
      if (!env.DATABASE_URL) {
        console.error('--load-site needs DATABASE_URL (postgres://…) in the environment');
        return EXIT_USAGE;
      }
      const r = await loadSiteIntoRegistry(env.DATABASE_URL, built.site);
      console.error(
        `registry: ${r.enterpriseId}: ${r.hazardSources} hazard sources, ${r.devices} devices, ${r.points} points, ${r.vehicles} vehicles, ${r.geofences} geofences`,
      );
    }

    const tty = process.stderr.isTTY === true;
    const brokerUrl = flags.broker ?? env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
    console.error(
      `${flags.scenario}: ${built.summary}\npublishing to ${redactUrl(brokerUrl)}${scenarioOptions.topicPrefix ? ` under ${scenarioOptions.topicPrefix}` : ''} (Ctrl-C stops cleanly)`,
    );
    const summary = await runScenario({
      scenario: flags.scenario,
      ...scenarioOptions,
      brokerUrl,
      username: env.MQTT_USERNAME,
      password: env.MQTT_PASSWORD,
      qos: flags.qos,
      speed: flags.speed,
      connections: flags.connections,
      window: flags.window,
      statusMessages: flags.status,
      signal: controller.signal,
      onProgress: tty ? (p) => process.stderr.write(`\r${progressLine(p)}\u001b[K`) : undefined,
    });
    if (tty) process.stderr.write('\n');
    console.log(flags.json ? JSON.stringify(summary, null, 2) : summaryText(summary));
    return summary.failed > 0 ? EXIT_FAILURE : 0;
  } catch (err) {
    if (err instanceof ScenarioOptionsError || err instanceof SiteFileError) {
      console.error(err.message);
      return EXIT_USAGE;
    }
    if (err instanceof BrokerConnectError) {
      const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
      console.error(`${err.message}${cause}`);
      return EXIT_FAILURE;
    }
    throw err;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

const env = CliEnvSchema.parse(process.env);
main(process.argv.slice(2), env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = EXIT_FAILURE;
  },
);
