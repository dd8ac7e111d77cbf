import { existsSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * Whether a Docker engine answers (where testcontainers can run TimescaleDB,
 * Redis, EMQX). DOCKER_HOST tcp:// or the local socket; a CLI alone is not enough.
 */
export async function dockerEngineAvailable(): Promise<boolean> {
  const host = process.env.DOCKER_HOST;
  const target: { path: string } | { host: string; port: number } | undefined = host?.startsWith('tcp://')
    ? { host: new URL(host).hostname, port: Number(new URL(host).port || 2375) }
    : host?.startsWith('unix://')
      ? { path: host.slice('unix://'.length) }
      : existsSync('/var/run/docker.sock')
        ? { path: '/var/run/docker.sock' }
        : undefined;
  if (!target) return false;
  return new Promise((resolve) => {
    const s = 'path' in target ? connect(target.path) : connect(target.port, target.host);
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
