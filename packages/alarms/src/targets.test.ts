import { type AlarmEvent, type Colour, DispatchTargetSchema, DispatchTargetViewSchema, NewDispatchTargetSchema } from '@hazardwatch/contracts';
import { describe, expect, it } from 'vitest';
import { matchTargets, type TargetFilter, targetTier } from './targets.js';

const SECRET = 's'.repeat(32);
const target = (id: string, over: Partial<TargetFilter> = {}) => ({
  id,
  scope: { regionPrefix: '37' },
  minColour: 'blue' as Colour,
  eventTypes: ['raised', 'escalated'] as AlarmEvent['type'][],
  enabled: true,
  ...over,
});

const TARGETS = [
  target('control-room-e1', { scope: { enterpriseId: 'e1' } }),
  target('control-room-e10', { scope: { enterpriseId: 'e10' } }),
  target('province-37', { scope: { regionPrefix: '37' } }),
  target('zibo-3703', { scope: { regionPrefix: '3703' } }),
  target('huantai-370321', { scope: { regionPrefix: '370321' } }),
  target('zhangdian-370303', { scope: { regionPrefix: '370303' } }),
  target('zaozhuang-3704', { scope: { regionPrefix: '3704' } }),
  target('guangdong-44', { scope: { regionPrefix: '44' } }),
  target('zibo-red-only', { scope: { regionPrefix: '3703' }, minColour: 'red' }),
  target('zibo-orange-up', { scope: { regionPrefix: '3703' }, minColour: 'orange' }),
  target('zibo-acks', { scope: { regionPrefix: '3703' }, eventTypes: ['acknowledged'] }),
  target('zibo-offline', { scope: { regionPrefix: '3703' }, eventTypes: ['enterprise_offline'], minColour: 'red' }),
  target('zibo-disabled', { scope: { regionPrefix: '3703' }, enabled: false }),
];

const ev = (type: AlarmEvent['type'], colour: Colour | null, enterpriseId = 'e1') => ({ type, colour, enterpriseId });

describe('matchTargets', () => {
  it.each([
    {
      name: 'an orange raise in Huantai (370321)',
      event: ev('raised', 'orange'),
      region: '370321',
      ids: ['control-room-e1', 'province-37', 'zibo-3703', 'huantai-370321', 'zibo-orange-up'],
    },
    {
      name: 'a red raise in Huantai reaches the red-only target too',
      event: ev('raised', 'red'),
      region: '370321',
      ids: ['control-room-e1', 'province-37', 'zibo-3703', 'huantai-370321', 'zibo-red-only', 'zibo-orange-up'],
    },
    {
      name: 'a blue raise in Huantai',
      event: ev('raised', 'blue'),
      region: '370321',
      ids: ['control-room-e1', 'province-37', 'zibo-3703', 'huantai-370321'],
    },
    {
      name: 'a raise in Tengzhou (370481): no Zibo target, Zaozhuang does',
      event: ev('raised', 'yellow'),
      region: '370481',
      ids: ['control-room-e1', 'province-37', 'zaozhuang-3704'],
    },
    {
      name: 'enterprise scope is exact: e10 does not get e1, nor e1 e10',
      event: ev('raised', 'yellow', 'e10'),
      region: '371000',
      ids: ['control-room-e10', 'province-37'],
    },
    {
      name: 'event types filter',
      event: ev('acknowledged', 'orange'),
      region: '370321',
      ids: ['zibo-acks'],
    },
    {
      name: 'an event without colour passes the colour filter',
      event: ev('enterprise_offline', null),
      region: '370303',
      ids: ['zibo-offline'],
    },
    {
      name: 'an event of a type nobody wants',
      event: ev('commented', 'red'),
      region: '370321',
      ids: [],
    },
  ])('$name', ({ event, region, ids }) => {
    expect(matchTargets(event, region, TARGETS).map((t) => t.id)).toEqual(ids);
  });

  it.each(['3703', '37032x', '', '3703210'])('refuses the region code "%s"', (region) => {
    expect(() => matchTargets(ev('raised', 'red'), region, TARGETS)).toThrow(expect.objectContaining({ code: 'HW_DISPATCH_BAD_REGION_CODE' }));
  });
});

describe('targetTier', () => {
  it.each([
    { scope: { enterpriseId: 'e1' }, tier: 'enterprise' },
    { scope: { regionPrefix: '370321' }, tier: 'county' },
    { scope: { regionPrefix: '3703' }, tier: 'city' },
    { scope: { regionPrefix: '37' }, tier: 'province' },
  ])('$scope → $tier', ({ scope, tier }) => {
    expect(targetTier(scope)).toBe(tier);
  });
});

describe('DispatchTargetSchema (contracts)', () => {
  const valid = {
    id: 't1',
    name: 'Zibo EMB',
    url: 'https://emb.zibo.example/hooks/hazardwatch',
    secret: SECRET,
    scope: { regionPrefix: '3703' },
    minColour: 'orange',
    eventTypes: ['raised', 'escalated'],
  };

  it('accepts a target and fills the defaults', () => {
    expect(DispatchTargetSchema.parse(valid)).toEqual({ ...valid, allowInsecureHttp: false, enabled: true });
    expect(DispatchTargetSchema.parse({ ...valid, minColour: undefined }).minColour).toBe('blue');
  });

  it.each([
    { name: 'http without the flag', patch: { url: 'http://localhost:8080/hook' }, ok: false },
    { name: 'http with the local-testing flag', patch: { url: 'http://localhost:8080/hook', allowInsecureHttp: true }, ok: true },
    { name: 'another protocol', patch: { url: 'ftp://x.example/hook', allowInsecureHttp: true }, ok: false },
    { name: 'credentials in the URL', patch: { url: 'https://user:pw@x.example/hook' }, ok: false },
    { name: 'a short secret', patch: { secret: 'short' }, ok: false },
    { name: 'a 2-digit prefix', patch: { scope: { regionPrefix: '37' } }, ok: true },
    { name: 'a 6-digit prefix', patch: { scope: { regionPrefix: '370321' } }, ok: true },
    { name: 'a 3-digit prefix', patch: { scope: { regionPrefix: '370' } }, ok: false },
    { name: 'an enterprise scope', patch: { scope: { enterpriseId: 'e1' } }, ok: true },
    { name: 'both scopes at once', patch: { scope: { enterpriseId: 'e1', regionPrefix: '37' } }, ok: false },
    { name: 'no event types', patch: { eventTypes: [] }, ok: false },
    { name: 'an unknown event type', patch: { eventTypes: ['exploded'] }, ok: false },
    { name: 'a repeated event type', patch: { eventTypes: ['raised', 'raised'] }, ok: false },
  ])('$name → $ok', ({ patch, ok }) => {
    expect(DispatchTargetSchema.safeParse({ ...valid, ...patch }).success).toBe(ok);
  });

  it('creates without an id and shows without the secret', () => {
    const { id: _id, ...body } = valid;
    expect(NewDispatchTargetSchema.safeParse(body).success).toBe(true);
    expect(NewDispatchTargetSchema.safeParse({ ...body, url: 'http://x.example' }).success).toBe(false);
    const { secret: _secret, ...shown } = valid;
    expect('secret' in DispatchTargetViewSchema.parse(shown)).toBe(false);
    // The view is strict: a secret can never be carried into an API response by mistake.
    expect(DispatchTargetViewSchema.safeParse(valid).success).toBe(false);
  });
});
