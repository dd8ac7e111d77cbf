import { connect } from 'node:net';

/**
 * A readiness probe that opens a TCP connection to `host:port` and closes it: enough
 * to tell that a broker answers, without holding an MQTT session of its own.
 */
export function tcpProbe(host: string, port: number, timeoutMs = 1_000): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      const socket = connect({ host, port });
      const fail = (err: Error) => {
        socket.destroy();
        reject(err);
      };
      socket.setTimeout(timeoutMs, () => fail(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
      socket.once('error', fail);
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
    });
}

/** `tcpProbe` for a broker URL (`mqtt://host:1883`, `mqtts://…`, `ws://…`), with the scheme's default port. */
export function brokerProbe(url: string, timeoutMs = 1_000): () => Promise<void> {
  const u = new URL(url);
  const defaults: Record<string, number> = { 'mqtt:': 1883, 'tcp:': 1883, 'mqtts:': 8883, 'ws:': 80, 'wss:': 443 };
  return tcpProbe(u.hostname, u.port ? Number(u.port) : (defaults[u.protocol] ?? 1883), timeoutMs);
}
