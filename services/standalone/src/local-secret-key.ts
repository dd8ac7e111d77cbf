import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

/**
 * The embedded start's key for sealing dispatch targets' signing secrets: made
 * once (32 random bytes, base64) under the data directory, readable by its owner
 * only, and reused on every start so sealed secrets stay readable.
 */
export async function localSecretKey(dataDir: string): Promise<string> {
  const file = resolve(dataDir, 'dispatch-secret.key');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(resolve(dataDir), { recursive: true });
  const key = randomBytes(32).toString('base64');
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
