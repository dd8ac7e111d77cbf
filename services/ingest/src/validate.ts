import {
  type DeadLetterReason,
  type JobDeviceStatus,
  type JobPosition,
  type JobReading,
  PositionPayloadSchema,
  StatusPayloadSchema,
  TelemetryPayloadSchema,
  TopicSchema,
} from '@hazardwatch/contracts';
import type { DeadLetterRow } from '@hazardwatch/db';
import type { z } from 'zod';
import type { RegistryCache } from './registry-cache.js';

export interface ValidationLimits {
  maxPayloadBytes: number;
  maxFutureSkewMs: number;
  maxAgeMs: number;
  deadLetterMaxPayloadBytes: number;
  topicPrefix: string;
}

/** A reading routed to its partition key (the hazard source). */
export interface RoutedReading extends JobReading {
  hazardSourceId: string;
  /** Out of instrument range: not stored, but carried to the rules as a fault. */
  rejected: boolean;
}

/** What one MQTT message becomes: rows to store and dead letters to record. */
export interface MessageRows {
  readings: RoutedReading[];
  positions: JobPosition[];
  statuses: Array<JobDeviceStatus & { detail: Record<string, unknown> }>;
  deadLetters: DeadLetterRow[];
}

const EMPTY = (): MessageRows => ({ readings: [], positions: [], statuses: [], deadLetters: [] });

function deadLetter(
  topic: string,
  payload: Buffer,
  limits: ValidationLimits,
  reason: DeadLetterReason,
  detail: string,
  ids: { enterpriseId?: string | null; deviceId?: string | null } = {},
): DeadLetterRow {
  const cap = limits.deadLetterMaxPayloadBytes;
  return {
    topic: topic.slice(0, 1024),
    enterpriseId: ids.enterpriseId ?? null,
    deviceId: ids.deviceId ?? null,
    reason,
    detail: detail.slice(0, 2000),
    payload: payload.length > cap ? payload.subarray(0, cap) : payload,
    payloadBytes: payload.length,
    truncated: payload.length > cap,
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * Validate one message and turn it into rows. Never throws for bad input: every
 * refusal becomes a dead letter with a machine-readable reason. Good parts of a
 * partly bad message are kept (a wrong channel never costs the others).
 */
export async function validateMessage(topic: string, payload: Buffer, registry: RegistryCache, limits: ValidationLimits, now: number): Promise<MessageRows> {
  const out = EMPTY();
  const bare = limits.topicPrefix && topic.startsWith(limits.topicPrefix) ? topic.slice(limits.topicPrefix.length) : topic;
  const t = TopicSchema.safeParse(bare);
  if (!t.success) {
    out.deadLetters.push(deadLetter(topic, payload, limits, 'bad_topic', describeIssues(t.error)));
    return out;
  }
  const { enterpriseId, deviceId, family } = t.data;
  const ids = { enterpriseId, deviceId };
  if (payload.length > limits.maxPayloadBytes) {
    out.deadLetters.push(deadLetter(topic, payload, limits, 'payload_too_large', `${payload.length} bytes > ${limits.maxPayloadBytes}`, ids));
    return out;
  }
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    out.deadLetters.push(deadLetter(topic, payload, limits, 'malformed_json', err instanceof Error ? err.message : 'not JSON', ids));
    return out;
  }
  const timeProblem = (ts: number): DeadLetterReason | null =>
    ts > now + limits.maxFutureSkewMs ? 'timestamp_in_future' : ts < now - limits.maxAgeMs ? 'timestamp_too_old' : null;

  if (family === 'telemetry') {
    const p = TelemetryPayloadSchema.safeParse(json);
    if (!p.success) {
      out.deadLetters.push(deadLetter(topic, payload, limits, 'schema_violation', describeIssues(p.error), ids));
      return out;
    }
    let device = await registry.device(deviceId);
    // An entry that would refuse some of this message is reloaded if the registry changed since
    // it was cached (a device registered, a channel added, a device moved a moment ago).
    const refuses = (d: typeof device) =>
      !d || d.enterpriseId !== enterpriseId || p.data.some((sample) => Object.keys(sample.values).some((channel) => !d.points.has(channel)));
    if (refuses(device)) {
      const fresh = await registry.recheckDevice(deviceId);
      if (fresh !== undefined) device = fresh;
    }
    if (!device) {
      out.deadLetters.push(deadLetter(topic, payload, limits, 'unknown_device', `device ${deviceId} is not registered`, ids));
      return out;
    }
    if (device.enterpriseId !== enterpriseId) {
      out.deadLetters.push(deadLetter(topic, payload, limits, 'enterprise_mismatch', `device ${deviceId} belongs to another enterprise`, ids));
      return out;
    }
    const problems = new Map<DeadLetterReason, string[]>();
    const note = (r: DeadLetterReason, s: string) => {
      const list = problems.get(r) ?? [];
      if (list.length < 20) list.push(s);
      problems.set(r, list);
    };
    for (const sample of p.data) {
      const tp = timeProblem(sample.ts);
      if (tp) {
        note(tp, `ts ${new Date(sample.ts).toISOString()}`);
        continue;
      }
      for (const [channel, raw] of Object.entries(sample.values)) {
        const point = device.points.get(channel);
        if (!point) {
          note('unknown_channel', channel);
          continue;
        }
        const value = typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
        const outOfRange = value < point.rangeMin || value > point.rangeMax;
        if (outOfRange) note('out_of_range', `${channel}=${value} outside [${point.rangeMin}, ${point.rangeMax}]`);
        out.readings.push({
          pointId: point.pointId,
          ts: sample.ts,
          value,
          quality: outOfRange ? 'fault' : (sample.quality?.[channel] ?? 'good'),
          hazardSourceId: point.hazardSourceId,
          rejected: outOfRange,
        });
      }
    }
    for (const [reason, details] of problems) out.deadLetters.push(deadLetter(topic, payload, limits, reason, details.join(', '), ids));
    return out;
  }

  if (family === 'position') {
    const p = PositionPayloadSchema.safeParse(json);
    if (!p.success) {
      out.deadLetters.push(deadLetter(topic, payload, limits, 'schema_violation', describeIssues(p.error), ids));
      return out;
    }
    const owner = await registry.vehicleEnterprise(deviceId);
    if (!owner) {
      out.deadLetters.push(deadLetter(topic, payload, limits, 'unknown_vehicle', `vehicle ${deviceId} is not registered`, ids));
      return out;
    }
    if (owner !== enterpriseId) {
      out.deadLetters.push(deadLetter(topic, payload, limits, 'enterprise_mismatch', `vehicle ${deviceId} belongs to another enterprise`, ids));
      return out;
    }
    const tp = timeProblem(p.data.ts);
    if (tp) {
      out.deadLetters.push(deadLetter(topic, payload, limits, tp, `ts ${new Date(p.data.ts).toISOString()}`, ids));
      return out;
    }
    const d = p.data;
    out.positions.push({
      vehicleId: deviceId,
      ts: d.ts,
      lat: d.lat,
      lon: d.lon,
      speedKmh: d.speedKmh,
      heading: d.heading,
      altitudeM: d.altitudeM ?? null,
      accOn: d.accOn ?? null,
      alarmFlags: d.alarmFlags ?? null,
    });
    return out;
  }

  // status: a device's or a vehicle terminal's, retained, last will `online: false`.
  const p = StatusPayloadSchema.safeParse(json);
  if (!p.success) {
    out.deadLetters.push(deadLetter(topic, payload, limits, 'schema_violation', describeIssues(p.error), ids));
    return out;
  }
  const device = await registry.device(deviceId);
  const owner = device?.enterpriseId ?? (await registry.vehicleEnterprise(deviceId));
  if (!owner) {
    out.deadLetters.push(deadLetter(topic, payload, limits, 'unknown_device', `device or vehicle ${deviceId} is not registered`, ids));
    return out;
  }
  if (owner !== enterpriseId) {
    out.deadLetters.push(deadLetter(topic, payload, limits, 'enterprise_mismatch', `device ${deviceId} belongs to another enterprise`, ids));
    return out;
  }
  // A last will carries no timestamp: it is as of now.
  const ts = p.data.ts ?? now;
  const tp = timeProblem(ts);
  if (tp) {
    out.deadLetters.push(deadLetter(topic, payload, limits, tp, `ts ${new Date(ts).toISOString()}`, ids));
    return out;
  }
  const { online, ts: _ts, ...detail } = p.data;
  out.statuses.push({ deviceId, enterpriseId, ts, online, detail });
  return out;
}
