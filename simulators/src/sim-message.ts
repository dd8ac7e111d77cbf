import type { PositionPayload, StatusPayload, TelemetrySample } from '@hazardwatch/contracts';

interface SimMessageBase {
  /** Full MQTT topic, topic prefix included. */
  topic: string;
  enterpriseId: string;
  /** Device id, or vehicle id for positions. */
  deviceId: string;
  /** Simulated (virtual) epoch milliseconds at which the device emits the message; equals the payload's `ts`. */
  atMs: number;
}

/**
 * One message of a scenario stream. Payloads are plain objects that pass the
 * contracts' schemas (`TelemetrySampleSchema`, `PositionPayloadSchema`,
 * `StatusPayloadSchema`); streams are ordered by `atMs`.
 */
export type SimMessage =
  | (SimMessageBase & { family: 'telemetry'; payload: TelemetrySample; retain?: false })
  | (SimMessageBase & { family: 'position'; payload: PositionPayload; retain?: false })
  | (SimMessageBase & { family: 'status'; payload: StatusPayload; retain: boolean });
