import mqtt from 'mqtt';

export interface OutMessage {
  topic: string;
  payload: string | Buffer;
}

/**
 * Publish messages with QoS 1 over a few connections and resolve when the broker
 * has acknowledged every one. Returns how many were acknowledged.
 */
export async function publishAll(url: string, messages: OutMessage[], opts: { connections?: number; window?: number } = {}): Promise<number> {
  const n = Math.max(1, opts.connections ?? 4);
  const window = opts.window ?? 200;
  let acked = 0;
  const lanes = Array.from({ length: n }, (_, i) => messages.filter((_, j) => j % n === i));
  await Promise.all(
    lanes.map(async (lane) => {
      const client = await mqtt.connectAsync(url, { clean: true, reconnectPeriod: 500 });
      let next = 0;
      const worker = async () => {
        while (next < lane.length) {
          const m = lane[next++];
          if (!m) break;
          await client.publishAsync(m.topic, m.payload, { qos: 1 });
          acked++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(window, lane.length) }, worker));
      await client.endAsync();
    }),
  );
  return acked;
}
