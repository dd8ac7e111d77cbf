import { describe, expect, it } from 'vitest';
import { hashMosquittoPassword, parseMosquittoHash, verifyMosquittoPassword } from './mosquitto-password.js';

const SALT = Buffer.from('000102030405060708090a0b', 'hex');

describe("Mosquitto's $7$ password hashes (PBKDF2-HMAC-SHA512)", () => {
  it('writes $7$<iterations>$<base64 12-byte salt>$<base64 64-byte hash>', () => {
    const h = hashMosquittoPassword('correct horse', { salt: SALT });
    expect(h).toMatch(/^\$7\$101\$AAECAwQFBgcICQoL\$[A-Za-z0-9+/]{86}==$/);
    expect(hashMosquittoPassword('correct horse', { salt: SALT })).toBe(h);
    expect(hashMosquittoPassword('correct horse')).not.toBe(hashMosquittoPassword('correct horse'));
    expect(verifyMosquittoPassword('correct horse', h)).toBe(true);
    expect(verifyMosquittoPassword('correct horsE', h)).toBe(false);
    expect(hashMosquittoPassword('x', { salt: SALT, iterations: 1000 })).toMatch(/^\$7\$1000\$/);
  });

  it('hashes exactly as mosquitto_passwd does', () => {
    // A line written by `mosquitto_passwd -b` (mosquitto 2.0.11) for password "secretpw".
    const line = '$7$101$erOG7n+qDBwG9Ckz$pI1PjvCICRzw3XbUrM1urmNaMo32SMl4Kl6X04W5TKV+6X2AB/GF+trIK/OCoC/dNZTU5PCJOLEp1grPGZhtxg==';
    expect(verifyMosquittoPassword('secretpw', line)).toBe(true);
    expect(hashMosquittoPassword('secretpw', { salt: Buffer.from('erOG7n+qDBwG9Ckz', 'base64') })).toBe(line);
  });

  it('rejects what the broker would drop or what could break a password-file line', () => {
    const good = hashMosquittoPassword('pw', { salt: SALT });
    expect(parseMosquittoHash(good)).not.toBeNull();
    for (const bad of [
      '',
      'plaintext',
      good.replace('$7$101$', '$7$0$'),
      good.replace('AAECAwQFBgcICQoL', 'AAECAwQFBgcICQ=='),
      `${good}\nintruder:${good}`,
      good.slice(0, -4),
      '$5$AAECAwQFBgcICQoL$abc',
    ])
      expect(parseMosquittoHash(bad), bad).toBeNull();
    expect(() => hashMosquittoPassword('pw', { salt: Buffer.alloc(16) })).toThrow(RangeError);
  });
});
