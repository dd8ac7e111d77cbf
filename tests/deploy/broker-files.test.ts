import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerTerminal, hashMosquittoPassword, parseMosquittoHash, verifyMosquittoPassword } from '@hazardwatch/db';
import { describe, expect, it } from 'vitest';
import { renderBrokerFiles, type ServiceAccount } from '../../deploy/broker-auth/src/broker-files.js';
import { type DynsecCommand, type DynsecState, planDynsecCommands, renderDynsecFile } from '../../deploy/broker-auth/src/dynsec.js';
import { parsePasswordFile } from '../../deploy/broker-auth/src/generate.js';

const SALT = Buffer.from('000102030405060708090a0b', 'hex');
const hasMosquittoPasswd = spawnSync('mosquitto_passwd', ['-h'], { encoding: 'utf8' }).error === undefined;

// The hash itself is unit-tested in packages/db; this checks it, and parsePasswordFile, against a real mosquitto_passwd.
describe('password files written by mosquitto_passwd', () => {
  it.skipIf(!hasMosquittoPasswd)('matches mosquitto_passwd byte for byte: verifies its hashes and reproduces them from their salt', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hw-pw-'));
    try {
      const file = join(dir, 'passwd');
      const password = 'Pässwörd with spaces & symbols $7$';
      const r = spawnSync('mosquitto_passwd', ['-c', '-b', file, 'dev-1', password], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const hash = parsePasswordFile(await readFile(file, 'utf8')).get('dev-1') ?? '';
      const parsed = parseMosquittoHash(hash);
      expect(parsed?.kind).toBe('pbkdf2-sha512');
      expect(verifyMosquittoPassword(password, hash)).toBe(true);
      expect(hashMosquittoPassword(password, { salt: parsed?.salt, iterations: parsed?.iterations })).toBe(hash);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const hash = (pw: string) => hashMosquittoPassword(pw, { salt: SALT });
const terminal = (over: Partial<BrokerTerminal>): BrokerTerminal => ({
  terminal: 'device',
  terminalId: 'dev-1',
  enterpriseId: 'ent-1',
  username: 'dev-1',
  passwordHash: hash('pw'),
  credentialEnterpriseId: 'ent-1',
  ...over,
});
const INGEST: ServiceAccount = { role: 'ingest', username: 'hw-ingest', passwordHash: hash('ingest'), shareGroup: 'ingest-x1' };
const ADMIN: ServiceAccount = { role: 'admin', username: 'hw-broker-admin', passwordHash: hash('admin') };

const roleAcls = (f: ReturnType<typeof renderBrokerFiles>) =>
  Object.fromEntries(f.dynsec.roles.map((r) => [r.rolename, r.acls.map((a) => `${a.allow ? 'allow' : 'deny'} ${a.acltype} ${a.topic}`)]));

describe('password file and dynamic-security state from the registry', () => {
  it('grants each terminal publishing on its own topics under its own enterprise only, ingest its share and the read side', () => {
    const f = renderBrokerFiles({
      terminals: [
        terminal({}),
        terminal({ terminal: 'vehicle', terminalId: 'truck-9', enterpriseId: 'ent-2', username: 'truck-9', credentialEnterpriseId: 'ent-2' }),
      ],
      services: [INGEST, { role: 'gateway', username: 'jt808-gw', passwordHash: hash('gw'), enterpriseId: 'ent-2' }, ADMIN],
      topicPrefix: '',
    });
    expect(f.terminals).toBe(2);
    expect(f.skipped).toEqual([]);
    expect(f.passwordFile.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      `hw-ingest:${hash('ingest')}`,
      `jt808-gw:${hash('gw')}`,
      `hw-broker-admin:${hash('admin')}`,
      `dev-1:${hash('pw')}`,
      `truck-9:${hash('pw')}`,
    ]);
    expect(roleAcls(f)).toEqual({
      'hw-ingest:hw-ingest': ['allow subscribeLiteral $share/ingest-x1/hw/v1/#', 'allow publishClientReceive hw/v1/#'],
      'hw-gateway:jt808-gw': ['allow publishClientSend hw/v1/ent-2/#'],
      'hw-admin:hw-broker-admin': [
        'allow publishClientSend $CONTROL/dynamic-security/v1',
        'allow subscribeLiteral $CONTROL/dynamic-security/v1/response',
        'allow publishClientReceive $CONTROL/dynamic-security/v1/response',
      ],
      'hw-terminal:dev-1': ['allow publishClientSend hw/v1/ent-1/dev-1/#'],
      'hw-terminal:truck-9': ['allow publishClientSend hw/v1/ent-2/truck-9/#'],
    });
    expect(f.dynsec.clients.map((c) => `${c.username} ${c.roles.map((r) => r.rolename).join(',')}`)).toEqual([
      'hw-ingest hw-ingest:hw-ingest',
      'jt808-gw hw-gateway:jt808-gw',
      'hw-broker-admin hw-admin:hw-broker-admin',
      'dev-1 hw-terminal:dev-1',
      'truck-9 hw-terminal:truck-9',
    ]);
    // Everything not granted is refused, receiving included.
    expect(f.dynsec.defaultACLAccess).toEqual({ publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true });
    const file = renderDynsecFile(f.dynsec);
    expect(JSON.parse(file)).toMatchObject({ defaultACLAccess: f.dynsec.defaultACLAccess, groups: [] });
    expect(file).not.toMatch(/"(password|salt|iterations)"/);
  });

  it('applies MQTT_TOPIC_PREFIX and is stable for the same input', () => {
    const input = { terminals: [terminal({})], services: [INGEST], topicPrefix: 'site-a/' };
    const a = renderBrokerFiles(input);
    expect(roleAcls(a)['hw-terminal:dev-1']).toEqual(['allow publishClientSend site-a/hw/v1/ent-1/dev-1/#']);
    expect(roleAcls(a)['hw-ingest:hw-ingest']).toEqual(['allow subscribeLiteral $share/ingest-x1/site-a/hw/v1/#', 'allow publishClientReceive site-a/hw/v1/#']);
    expect(renderBrokerFiles(input)).toEqual(a);
    expect(renderDynsecFile(renderBrokerFiles(input).dynsec)).toBe(renderDynsecFile(a.dynsec));
  });

  it('leaves out, with a reason, terminals that could not be granted safely', () => {
    const f = renderBrokerFiles({
      terminals: [
        terminal({ terminalId: 'no-cred', username: null, passwordHash: null, credentialEnterpriseId: null }),
        terminal({ terminalId: 'wild#card', username: 'wild' }),
        terminal({ terminalId: 'plus', enterpriseId: 'ent/+' }),
        terminal({ terminalId: 'colon', username: 'a:b' }),
        terminal({ terminalId: 'newline', username: 'a\nuser hw-ingest' }),
        terminal({ terminalId: 'reserved', username: 'hw-ingest' }),
        terminal({ terminalId: 'badhash', username: 'badhash', passwordHash: 'secret' }),
        terminal({ terminalId: 'moved', username: 'moved', credentialEnterpriseId: 'ent-old' }),
      ],
      services: [INGEST],
      topicPrefix: '',
    });
    expect(f.terminals).toBe(0);
    expect(f.skipped.map((s) => `${s.terminalId}:${s.reason}`)).toEqual([
      'no-cred:no_credential',
      'wild#card:invalid_id',
      'plus:invalid_id',
      'colon:invalid_username',
      'newline:invalid_username',
      'reserved:reserved_username',
      'badhash:invalid_hash',
      'moved:enterprise_mismatch',
    ]);
    expect(f.dynsec.clients.map((c) => c.username)).toEqual(['hw-ingest']);
    expect(f.passwordFile.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([`hw-ingest:${hash('ingest')}`]);
  });

  it('refuses unsafe service accounts outright', () => {
    expect(() => renderBrokerFiles({ terminals: [], services: [{ ...INGEST, shareGroup: 'a/#' }], topicPrefix: '' })).toThrow(RangeError);
    expect(() => renderBrokerFiles({ terminals: [], services: [{ ...INGEST, username: 'x y' }], topicPrefix: '' })).toThrow(RangeError);
    expect(() => renderBrokerFiles({ terminals: [], services: [INGEST, { ...ADMIN, username: INGEST.username }], topicPrefix: '' })).toThrow(RangeError);
    expect(() =>
      renderBrokerFiles({ terminals: [], services: [{ role: 'gateway', username: 'gw', passwordHash: hash('g'), enterpriseId: '+' }], topicPrefix: '' }),
    ).toThrow(RangeError);
  });
});

describe('dynamic-security commands: from what the plugin holds to what the registry says', () => {
  const desired = renderBrokerFiles({ terminals: [terminal({})], services: [INGEST, ADMIN], topicPrefix: '' }).dynsec;
  const empty: DynsecState = {
    defaultACLAccess: { publishClientSend: false, publishClientReceive: true, subscribe: false, unsubscribe: true },
    roles: [],
    clients: [],
    groups: [],
  };
  const names = (cs: DynsecCommand[]) => cs.map((c) => `${c.command} ${String(c.rolename ?? c.username ?? c.groupname ?? '')}`.trim());

  it('from nothing: default access, then roles, then the clients that name them', () => {
    expect(names(planDynsecCommands(empty, desired))).toEqual([
      'setDefaultACLAccess',
      'createRole hw-ingest:hw-ingest',
      'createRole hw-admin:hw-broker-admin',
      'createRole hw-terminal:dev-1',
      'createClient hw-ingest',
      'createClient hw-broker-admin',
      'createClient dev-1',
    ]);
  });

  it('nothing when the plugin already matches, whatever order it lists things in', () => {
    const same: DynsecState = {
      ...desired,
      roles: [...desired.roles].reverse().map((r) => ({ ...r, acls: [...r.acls].reverse() })),
      clients: [...desired.clients].reverse(),
    };
    expect(planDynsecCommands(same, desired)).toEqual([]);
  });

  it('changed grants, moved roles, hand-made groups and clients the registry no longer has', () => {
    const current: DynsecState = {
      ...desired,
      roles: [
        ...desired.roles.filter((r) => r.rolename !== 'hw-terminal:dev-1'),
        { rolename: 'hw-terminal:dev-1', acls: [{ acltype: 'publishClientSend', topic: 'hw/v1/ent-old/dev-1/#', allow: true, priority: 0 }] },
        { rolename: 'hw-terminal:gone', acls: [] },
      ],
      clients: [
        ...desired.clients.filter((c) => c.username !== 'dev-1'),
        { username: 'dev-1', roles: [{ rolename: 'hw-terminal:dev-1' }], groups: [{ groupname: 'by-hand' }], disabled: true },
        { username: 'gone', roles: [{ rolename: 'hw-terminal:gone' }], groups: [] },
      ],
      groups: [{ groupname: 'by-hand' }],
    };
    const plan = planDynsecCommands(current, desired);
    expect(names(plan)).toEqual([
      'modifyRole hw-terminal:dev-1',
      'modifyClient dev-1',
      'enableClient dev-1',
      'deleteClient gone',
      'deleteGroup by-hand',
      'deleteRole hw-terminal:gone',
    ]);
    expect(plan[0]).toMatchObject({ acls: [{ acltype: 'publishClientSend', topic: 'hw/v1/ent-1/dev-1/#', allow: true }] });
    expect(plan[1]).toEqual({ command: 'modifyClient', username: 'dev-1', roles: [{ rolename: 'hw-terminal:dev-1' }], groups: [] });
  });
});
