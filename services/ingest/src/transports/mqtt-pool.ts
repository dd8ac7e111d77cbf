import { ingestSubscriptions } from '@hazardwatch/contracts';
import type { Logger } from '@hazardwatch/observability';
import mqtt, { type MqttClient } from 'mqtt';

/** Receives one message; `ack` sends the PUBACK (call it only after the rows are committed). */
export type MessageHandler = (topic: string, payload: Buffer, ack: () => void) => void;

export interface MqttPoolOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Fixed client ids `${clientId}-${i}`: the broker keeps each one's session across restarts. */
  clientId: string;
  connections: number;
  shareGroup: string;
  topicPrefix: string;
  /** MQTT 5 session expiry: how long the broker keeps queuing for a disconnected ingest. */
  sessionExpirySeconds?: number;
  log: Logger;
}

/**
 * N MQTT connections, all members of one shared subscription with persistent
 * sessions. MQTT.js handles one incoming packet per connection at a time and
 * sends a QoS 1 PUBACK only when `handleMessage` calls back, so holding the
 * callback until COMMIT bounds each connection to one message per commit: the
 * pool size is what gives throughput (see docs/architecture.md).
 */
export function startMqttPool(o: MqttPoolOptions, onMessage: MessageHandler): { stop(): Promise<void>; connected(): number } {
  const filters = ingestSubscriptions(o.shareGroup, o.topicPrefix);
  const clients: MqttClient[] = [];
  for (let i = 0; i < o.connections; i++) {
    const client = mqtt.connect(o.url, {
      clientId: `${o.clientId}-${i}`,
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: o.sessionExpirySeconds ?? 7 * 86_400, receiveMaximum: 65_535 },
      username: o.username,
      password: o.password,
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
      keepalive: 30,
      resubscribe: false,
    });
    client.handleMessage = (packet, callback) => {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      if (packet.qos === 0) {
        // Nothing to hold for QoS 0; the batcher still stores it.
        onMessage(packet.topic, payload, () => undefined);
        callback();
        return;
      }
      onMessage(packet.topic, payload, () => callback());
    };
    client.on('connect', (ack) => {
      if (i === 0) o.log.info({ sessionPresent: ack.sessionPresent, connections: o.connections }, 'ingest connected to broker');
      // Subscribing again on a present session is harmless and covers a broker that lost its state.
      client.subscribe(filters, { qos: 1 }, (err) => {
        if (err) o.log.error({ err }, 'subscribe failed');
      });
    });
    client.on('error', (err) => o.log.warn({ err, connection: i }, 'mqtt connection error'));
    client.on('offline', () => {
      if (i === 0) o.log.warn('broker unreachable; reconnecting');
    });
    clients.push(client);
  }
  return {
    connected: () => clients.filter((c) => c.connected).length,
    async stop() {
      // Forced close: messages whose PUBACK we still hold are redelivered to the session later.
      await Promise.all(clients.map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
    },
  };
}
