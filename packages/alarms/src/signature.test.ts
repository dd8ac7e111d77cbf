import { describe, expect, it } from 'vitest';
import { computeSignature, parseSignatureHeader, signatureHeader, verifyWebhookSignature, webhookHeaders } from './signature.js';

const SECRET = 'whsec_test_secret_0123456789abcdef';
const OTHER = 'whsec_other_secret_0123456789abcdef';
const BODY = '{"id":"ev-1"}';
const T = 1_700_000_000;
const NOW = T * 1000 + 400;
// Computed independently: printf '%s' '1700000000.{"id":"ev-1"}' | openssl dgst -sha256 -hmac "$SECRET"
const VECTOR = '32f311ce2d37c74f1e669ace29be41d7d318f3b84546665cef8a089fb14f41f0';

describe('webhook signature', () => {
  it('is HMAC-SHA256 over "<t>.<body>" (known vector)', () => {
    expect(computeSignature(SECRET, T, BODY)).toBe(VECTOR);
    expect(computeSignature(SECRET, T, new TextEncoder().encode(BODY))).toBe(VECTOR);
    expect(signatureHeader(SECRET, BODY, NOW)).toBe(`t=${T},v1=${VECTOR}`);
  });

  it('sends the idempotency key, event type and spec version with the signature', () => {
    expect(webhookHeaders({ secret: SECRET, body: BODY, eventId: 'ev-1', eventType: 'raised', now: NOW })).toEqual({
      'Content-Type': 'application/json',
      'X-Hazardwatch-Signature': `t=${T},v1=${VECTOR}`,
      'Idempotency-Key': 'ev-1',
      'X-Hazardwatch-Event-Type': 'raised',
      'X-Hazardwatch-Spec-Version': '1',
    });
  });

  it.each([
    { header: `t=${T},v1=${VECTOR}`, parsed: { timestampS: T, v1: [VECTOR] } },
    { header: ` t=${T} , v1=${VECTOR.toUpperCase()} , v2=abc`, parsed: { timestampS: T, v1: [VECTOR] } },
    { header: `t=${T},v1=${'0'.repeat(64)},v1=${VECTOR}`, parsed: { timestampS: T, v1: ['0'.repeat(64), VECTOR] } },
    { header: `v1=${VECTOR}`, parsed: null },
    { header: `t=${T}`, parsed: null },
    { header: `t=${T},v1=abc`, parsed: null },
    { header: `t=1.5,v1=${VECTOR}`, parsed: null },
    { header: `t=${T},t=${T},v1=${VECTOR}`, parsed: null },
    { header: 'garbage', parsed: null },
  ])('parses "$header"', ({ header, parsed }) => {
    expect(parseSignatureHeader(header)).toEqual(parsed);
  });

  const good = `t=${T},v1=${VECTOR}`;
  it.each([
    { name: 'a good signature', header: good, body: BODY, secrets: SECRET, now: NOW, result: { ok: true, timestampS: T } },
    { name: 'a rotated secret (old and new)', header: good, body: BODY, secrets: [OTHER, SECRET], now: NOW, result: { ok: true, timestampS: T } },
    {
      name: 'a second v1 during rotation',
      header: `t=${T},v1=${'a'.repeat(64)},v1=${VECTOR}`,
      body: BODY,
      secrets: SECRET,
      now: NOW,
      result: { ok: true, timestampS: T },
    },
    { name: 'the edge of the tolerance', header: good, body: BODY, secrets: SECRET, now: T * 1000 + 300_000, result: { ok: true, timestampS: T } },
    { name: 'a sender clock slightly ahead', header: good, body: BODY, secrets: SECRET, now: T * 1000 - 60_000, result: { ok: true, timestampS: T } },
    { name: 'a changed body', header: good, body: '{"id":"ev-2"}', secrets: SECRET, now: NOW, result: { ok: false, code: 'HW_WEBHOOK_SIGNATURE_MISMATCH' } },
    {
      name: 'body re-serialised with spaces',
      header: good,
      body: '{"id": "ev-1"}',
      secrets: SECRET,
      now: NOW,
      result: { ok: false, code: 'HW_WEBHOOK_SIGNATURE_MISMATCH' },
    },
    { name: 'a wrong secret', header: good, body: BODY, secrets: OTHER, now: NOW, result: { ok: false, code: 'HW_WEBHOOK_SIGNATURE_MISMATCH' } },
    {
      name: 'a replay an hour later',
      header: good,
      body: BODY,
      secrets: SECRET,
      now: NOW + 3_600_000,
      result: { ok: false, code: 'HW_WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE' },
    },
    {
      name: 'a moved timestamp',
      header: `t=${T + 1},v1=${VECTOR}`,
      body: BODY,
      secrets: SECRET,
      now: NOW,
      result: { ok: false, code: 'HW_WEBHOOK_SIGNATURE_MISMATCH' },
    },
    { name: 'no header', header: undefined, body: BODY, secrets: SECRET, now: NOW, result: { ok: false, code: 'HW_WEBHOOK_SIGNATURE_MALFORMED' } },
    { name: 'a malformed header', header: 'sha256=abc', body: BODY, secrets: SECRET, now: NOW, result: { ok: false, code: 'HW_WEBHOOK_SIGNATURE_MALFORMED' } },
  ])('verifies $name', ({ header, body, secrets, now, result }) => {
    expect(verifyWebhookSignature({ header, body, secrets, now })).toEqual(result);
  });

  it('honours a custom tolerance', () => {
    expect(verifyWebhookSignature({ header: good, body: BODY, secrets: SECRET, now: T * 1000 + 10_000, toleranceMs: 5000 })).toEqual({
      ok: false,
      code: 'HW_WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
    });
  });
});
