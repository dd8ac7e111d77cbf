import { createHmac, timingSafeEqual } from 'node:crypto';
import { WEBHOOK_HEADERS, WEBHOOK_SPEC_VERSION } from '@hazardwatch/contracts';
import type { AlarmErrorCode } from './errors.js';

/** How far a signature's timestamp may be from the receiver's clock: 5 minutes, against replays. */
export const DEFAULT_SIGNATURE_TOLERANCE_MS = 5 * 60_000;

/** The raw body exactly as sent: verify over these bytes, never over re-serialised JSON. */
export type RawBody = string | Uint8Array;

/** Hex HMAC-SHA256 of `"<timestampS>.<body>"` with the target's secret. */
export function computeSignature(secret: string, timestampS: number, body: RawBody): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestampS}.`);
  mac.update(body);
  return mac.digest('hex');
}

/** The `X-Hazardwatch-Signature` value: `t=<unix seconds>,v1=<hex>`. */
export function signatureHeader(secret: string, body: RawBody, now: number): string {
  const t = Math.floor(now / 1000);
  return `t=${t},v1=${computeSignature(secret, t, body)}`;
}

/**
 * Every header of one delivery (besides Content-Type: application/json). The
 * idempotency key is the event id: a receiver that has seen it drops the repeat.
 */
export function webhookHeaders(opts: { secret: string; body: RawBody; eventId: string; eventType: string; now: number }): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    [WEBHOOK_HEADERS.signature]: signatureHeader(opts.secret, opts.body, opts.now),
    [WEBHOOK_HEADERS.idempotencyKey]: opts.eventId,
    [WEBHOOK_HEADERS.eventType]: opts.eventType,
    [WEBHOOK_HEADERS.specVersion]: WEBHOOK_SPEC_VERSION,
  };
}

/** A parsed signature header: its timestamp and every `v1` signature (several during a secret rotation). */
export function parseSignatureHeader(value: string): { timestampS: number; v1: string[] } | null {
  let timestampS: number | null = null;
  const v1: string[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    const key = part.slice(0, eq).trim();
    const val = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(val) || timestampS !== null) return null;
      timestampS = Number(val);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(val)) return null;
      v1.push(val.toLowerCase());
    }
    // Unknown schemes (a future v2) are skipped so old receivers keep working.
  }
  if (timestampS === null || v1.length === 0) return null;
  return { timestampS, v1 };
}

/** Result of {@link verifyWebhookSignature}. */
export type SignatureCheck =
  | { ok: true; timestampS: number }
  | { ok: false; code: Extract<AlarmErrorCode, 'HW_WEBHOOK_SIGNATURE_MALFORMED' | 'HW_WEBHOOK_SIGNATURE_MISMATCH' | 'HW_WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE'> };

/**
 * Check a delivery as a receiver does: the header parses, its timestamp is within
 * `toleranceMs` of `now` (either side, for clock skew), and one of its `v1`
 * signatures matches one of `secrets` (more than one while a secret is rotated).
 * Comparison is constant-time, so timing reveals nothing about the expected value.
 */
export function verifyWebhookSignature(opts: {
  header: string | null | undefined;
  body: RawBody;
  secrets: string | readonly string[];
  now: number;
  toleranceMs?: number;
}): SignatureCheck {
  const parsed = opts.header ? parseSignatureHeader(opts.header) : null;
  if (parsed === null) return { ok: false, code: 'HW_WEBHOOK_SIGNATURE_MALFORMED' };
  const tolerance = opts.toleranceMs ?? DEFAULT_SIGNATURE_TOLERANCE_MS;
  if (Math.abs(opts.now - parsed.timestampS * 1000) > tolerance) return { ok: false, code: 'HW_WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE' };
  const secrets = typeof opts.secrets === 'string' ? [opts.secrets] : opts.secrets;
  for (const secret of secrets) {
    const expected = Buffer.from(computeSignature(secret, parsed.timestampS, opts.body), 'hex');
    for (const candidate of parsed.v1) {
      // Both are 32 bytes (the header check guarantees 64 hex digits), as timingSafeEqual needs.
      if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) return { ok: true, timestampS: parsed.timestampS };
    }
  }
  return { ok: false, code: 'HW_WEBHOOK_SIGNATURE_MISMATCH' };
}
