import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOCK_KEYS } from './lock-keys.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (/\.(ts|sql)$/.test(e.name) && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

describe('advisory lock keys', () => {
  it('are all different', () => {
    const values = Object.values(LOCK_KEYS);
    expect(new Set(values).size).toBe(values.length);
  });

  it('are taken from LOCK_KEYS only: no product source spells an advisory lock number of its own', async () => {
    const files = [...(await sources(join(ROOT, 'packages'))), ...(await sources(join(ROOT, 'services')))];
    const offenders: string[] = [];
    for (const f of files) {
      if (f.endsWith('lock-keys.ts')) continue;
      const text = await readFile(f, 'utf8');
      // A literal key in a lock call, or a constant initialised with the house range.
      if (/pg_(try_)?advisory_(xact_)?lock(_shared)?\(\s*\d/.test(text) || /LOCK_KEY\s*=\s*[\d_]{6,}/.test(text)) offenders.push(f.slice(ROOT.length + 1));
    }
    expect(offenders).toEqual([]);
  });
});
