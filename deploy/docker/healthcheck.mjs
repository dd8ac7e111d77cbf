// Container health checks of the hazardwatch image (deploy/docker/Dockerfile), no curl needed:
//   node deploy/docker/healthcheck.mjs http URL          healthy when URL answers 2xx
//   node deploy/docker/healthcheck.mjs connected PORT... healthy when the container holds an
//       established TCP connection to each remote PORT. Ingest, rules-worker and dispatch have
//       no HTTP port; their long-lived connections (ingest's MQTT pool, BullMQ's Redis
//       connections) are the signal that they work: a service that lost one is reconnecting.
//       Database connections are pooled and opened on demand, so they are not checked.
import { readFileSync } from 'node:fs';

const [mode, ...args] = process.argv.slice(2);

function established() {
  const ports = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[2] remote address HEX_IP:HEX_PORT, cols[3] state (01 = ESTABLISHED).
      if (cols.length < 4 || cols[3] !== '01') continue;
      const port = Number.parseInt(cols[2].split(':').pop() ?? '', 16);
      if (Number.isInteger(port)) ports.add(port);
    }
  }
  return ports;
}

async function main() {
  if (mode === 'http' && args[0]) {
    const res = await fetch(args[0], { signal: AbortSignal.timeout(4000) });
    if (res.status < 200 || res.status > 299) throw new Error(`${args[0]} answered ${res.status}`);
    return;
  }
  if (mode === 'connected' && args.length > 0) {
    const have = established();
    const missing = args.filter((p) => !have.has(Number(p)));
    if (missing.length > 0) throw new Error(`no established connection to port ${missing.join(', ')}`);
    return;
  }
  throw new Error('usage: healthcheck.mjs http URL | connected PORT...');
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`unhealthy: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
