import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pool } from '@hazardwatch/db';
import { listBrokerTerminals } from '@hazardwatch/db';
import { type BrokerFiles, renderBrokerFiles, type ServiceAccount } from './broker-files.js';
import { hashMosquittoPassword, verifyMosquittoPassword } from './mosquitto-password.js';

/** File names inside the output directory; deploy/mosquitto/mosquitto.conf points at them. */
export const PASSWORD_FILE_NAME = 'passwd';
export const ACL_FILE_NAME = 'acl';

/** A service account whose password is known in clear (from the environment or a secret file) and is hashed here. */
export type ServiceAccountInput =
  | { role: 'ingest'; username: string; password: string; shareGroup: string }
  | { role: 'gateway'; username: string; password: string; enterpriseId: string | '*' };

export interface GenerateResult extends Omit<BrokerFiles, 'passwordFile' | 'aclFile'> {
  passwordFilePath: string;
  aclFilePath: string;
  /** True when either file's content changed (the broker must reload to see it). */
  changed: boolean;
}

/**
 * Read the registry, write the broker's password and ACL files into `outDir`
 * (atomically: a temporary file renamed over the old one, mode `fileMode`) and
 * report whether anything changed. Service passwords keep their existing hash
 * when it still matches, so an unchanged registry writes identical files.
 */
export async function generateBrokerAuth(deps: {
  pool: Pool;
  outDir: string;
  services: readonly ServiceAccountInput[];
  topicPrefix: string;
  fileMode?: number;
}): Promise<GenerateResult> {
  const passwordFilePath = join(deps.outDir, PASSWORD_FILE_NAME);
  const aclFilePath = join(deps.outDir, ACL_FILE_NAME);
  const previous = await readIfExists(passwordFilePath);
  const previousHashes = parsePasswordFile(previous ?? '');
  const services: ServiceAccount[] = deps.services.map((s) => {
    const old = previousHashes.get(s.username);
    const passwordHash = old && verifyMosquittoPassword(s.password, old) ? old : hashMosquittoPassword(s.password);
    return s.role === 'ingest'
      ? { role: 'ingest', username: s.username, passwordHash, shareGroup: s.shareGroup }
      : { role: 'gateway', username: s.username, passwordHash, enterpriseId: s.enterpriseId };
  });
  const terminals = await listBrokerTerminals(deps.pool);
  const files = renderBrokerFiles({ terminals, services, topicPrefix: deps.topicPrefix });
  await mkdir(deps.outDir, { recursive: true });
  const mode = deps.fileMode ?? 0o600;
  const pwChanged = await writeIfChanged(passwordFilePath, files.passwordFile, previous, mode);
  const aclChanged = await writeIfChanged(aclFilePath, files.aclFile, await readIfExists(aclFilePath), mode);
  return { passwordFilePath, aclFilePath, terminals: files.terminals, skipped: files.skipped, changed: pwChanged || aclChanged };
}

/** `username:hash` lines of a password file (comments and malformed lines ignored). */
export function parsePasswordFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function writeIfChanged(path: string, content: string, previous: string | null, mode: number): Promise<boolean> {
  if (previous === content) return false;
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode });
  // writeFile's mode is filtered by the umask; the broker only needs the owner's read.
  await chmod(tmp, mode);
  await rename(tmp, path);
  return true;
}
