import { TOPIC_ROOT } from '@hazardwatch/contracts';
import type { MessageHandler } from './mqtt-pool.js';

/** The slice of an Aedes broker this hook needs (keeps aedes out of ingest's dependencies). */
export interface AedesLike {
  // Method syntax on purpose: Aedes' own handler type takes its full packet type.
  authorizePublish?(client: unknown, packet: { topic: string; payload: Buffer | string; qos: number }, cb: (err?: Error | null) => void): void;
}

/**
 * Embedded mode: ingest inside the broker. Aedes calls `authorizePublish` before
 * it sends the device its PUBACK, concurrently across clients, so the device's
 * own acknowledgement waits for COMMIT — no second MQTT hop, same batcher.
 * Returns a function that detaches the hook.
 */
export function attachToAedes(aedes: AedesLike, topicPrefix: string, onMessage: MessageHandler): () => void {
  const previous = aedes.authorizePublish;
  const ours = `${topicPrefix}${TOPIC_ROOT}/`;
  aedes.authorizePublish = (client, packet, cb) => {
    // Publishes by the broker itself (client null) and foreign topics pass through.
    if (!client || !packet.topic.startsWith(ours)) {
      if (previous) previous.call(aedes, client, packet, cb);
      else cb(null);
      return;
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    onMessage(packet.topic, payload, () => cb(null));
  };
  return () => {
    aedes.authorizePublish = previous;
  };
}
