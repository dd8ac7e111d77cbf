import mqtt, { type MqttClient } from 'mqtt';

/** An MQTT 5 client that neither reconnects nor throws on the error event (failures come back through the promises). */
export async function connect(url: string, opts: { username?: string; password?: string; clientId?: string }): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, clean: true, ...opts });
  client.on('error', () => undefined);
  return client;
}

/** The CONNACK reason code of a refused connection (MQTT 5: 134 bad user name or password, 135 not authorized); 0 if accepted. */
export async function refusal(url: string, opts: { username?: string; password?: string }): Promise<number> {
  try {
    const c = await connect(url, opts);
    await c.endAsync();
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

/** The PUBACK outcome of a QoS 1 publish: `ok`, or the MQTT 5 reason code the broker refused it with. */
export async function publish(client: MqttClient, topic: string, payload: string): Promise<'ok' | number> {
  try {
    await client.publishAsync(topic, payload, { qos: 1 });
    return 'ok';
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

/** The SUBACK code per filter: the granted QoS, or the MQTT 5 reason code of a refusal (135 not authorized). */
export async function subscribe(client: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (err) {
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw err;
    return granted;
  }
}
