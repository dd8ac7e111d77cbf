import { createServer, type Server } from 'node:net';
import type { Logger } from '@hazardwatch/observability';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  broker: Aedes;
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The in-process MQTT broker of the embedded start (no shared subscriptions: ingest hooks into it directly). */
export async function startEmbeddedBroker(o: { port: number; host?: string; log: Logger }): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker({ drainTimeout: 30_000 });
  broker.on('clientError', (client, err) => o.log.debug({ err, clientId: client.id }, 'mqtt client error'));
  broker.on('connectionError', (_client, err) => o.log.debug({ err }, 'mqtt connection error'));
  const server: Server = createServer(broker.handle);
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  return {
    broker,
    port,
    url: `mqtt://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
