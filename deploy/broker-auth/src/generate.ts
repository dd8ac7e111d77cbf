import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashMosquittoPassword, listBrokerTerminals, type Pool, verifyMosquittoPassword } from '@hazardwatch/db';
import { type BrokerFiles, renderBrokerFiles, type ServiceAccount } from './broker-files.js';
import { planDynsecCommands, renderDynsecFile } from './dynsec.js';
import { DynsecControlError, openDynsecControl } from './dynsec-control.js';

/** File names inside the output directory; deploy/mosquitto/mosquitto.conf points at them. */
export const PASSWORD_FILE_NAME = 'passwd';
export const DYNSEC_FILE_NAME = 'dynamic-security.json';

/** A service account whose password is known in clear (from the environment or a secret file) and is hashed here. */
export type ServiceAccountInput =
  | { role: 'ingest'; username: string; password: string; shareGroup: string }
  | { role: 'gateway'; username: string; password: string; enterpriseId: string | '*' }
  | { role: 'admin'; username: string; password: string };

/** How the dynamic-security state reached the broker. */
export type DynsecOutcome =
  /** Applied to the running broker over $CONTROL (the plugin saved its file itself); `commands` sent, 0 when it already matched. */
  | { via: 'control'; commands: number }
  /** Written to DYNSEC_FILE_NAME for the broker's next start: no broker URL given, or no broker answered there. */
  | { via: 'file'; changed: boolean; reason: 'no_broker_url' | 'broker_unreachable' };

export interface GenerateResult extends Omit<BrokerFiles, 'passwordFile' | 'dynsec'> {
  passwordFilePath: string;
  dynsecFilePath: string;
  /** The password file changed: the running broker must reread it (SIGHUP) before new or changed credentials log in. */
  passwordChanged: boolean;
  dynsec: DynsecOutcome;
}

/**
 * Read the registry and bring the broker's authentication and authorisation to it.
 *
 * Authorisation (the dynamic security plugin) goes to the running broker over
 * `$CONTROL/dynamic-security/v1` when `brokerUrl` is given and a broker answers there:
 * the difference between what the plugin holds and what the registry says, as commands;
 * the plugin applies each at once (deleting a client disconnects it) and saves its own
 * file. Without a broker (first start, or it is stopped) the file is written instead.
 * Then the password file is written (atomically, mode `fileMode`): new terminals thus get
 * their grants before they can log in. Service passwords keep their existing hash when it
 * still matches, so an unchanged registry changes nothing.
 */
export async function generateBrokerAuth(deps: {
  pool: Pool;
  outDir: string;
  services: readonly ServiceAccountInput[];
  topicPrefix: string;
  fileMode?: number;
  /** The running broker (its services' listener); the `admin` service account connects to it. */
  brokerUrl?: string;
  timeoutMs?: number;
}): Promise<GenerateResult> {
  const passwordFilePath = join(deps.outDir, PASSWORD_FILE_NAME);
  const dynsecFilePath = join(deps.outDir, DYNSEC_FILE_NAME);
  const previous = await readIfExists(passwordFilePath);
  const previousHashes = parsePasswordFile(previous ?? '');
  const services: ServiceAccount[] = deps.services.map((s) => {
    const old = previousHashes.get(s.username);
    const passwordHash = old && verifyMosquittoPassword(s.password, old) ? old : hashMosquittoPassword(s.password);
    if (s.role === 'ingest') return { role: 'ingest', username: s.username, passwordHash, shareGroup: s.shareGroup };
    if (s.role === 'gateway') return { role: 'gateway', username: s.username, passwordHash, enterpriseId: s.enterpriseId };
    return { role: 'admin', username: s.username, passwordHash };
  });
  const terminals = await listBrokerTerminals(deps.pool);
  const files = renderBrokerFiles({ terminals, services, topicPrefix: deps.topicPrefix });
  await mkdir(deps.outDir, { recursive: true });
  const mode = deps.fileMode ?? 0o600;

  let dynsec: DynsecOutcome | undefined;
  if (deps.brokerUrl) {
    const admin = deps.services.find((s) => s.role === 'admin');
    if (!admin) throw new RangeError('applying to a running broker needs an admin service account');
    try {
      const control = await openDynsecControl({ url: deps.brokerUrl, username: admin.username, password: admin.password, timeoutMs: deps.timeoutMs });
      try {
        const commands = planDynsecCommands(await control.readState(), files.dynsec);
        await control.run(commands);
        dynsec = { via: 'control', commands: commands.length };
      } finally {
        await control.close();
      }
    } catch (err) {
      if (!(err instanceof DynsecControlError && err.code === 'HW_BROKER_AUTH_BROKER_UNREACHABLE')) throw err;
    }
  }
  if (!dynsec) {
    const changed = await writeIfChanged(dynsecFilePath, renderDynsecFile(files.dynsec), await readIfExists(dynsecFilePath), mode);
    dynsec = { via: 'file', changed, reason: deps.brokerUrl ? 'broker_unreachable' : 'no_broker_url' };
  }
  const passwordChanged = await writeIfChanged(passwordFilePath, files.passwordFile, previous, mode);
  return { passwordFilePath, dynsecFilePath, terminals: files.terminals, skipped: files.skipped, passwordChanged, dynsec };
}

/** SIGHUP to the broker whose pid is in `pidFile` (mosquitto's pid_file): it rereads the password file without dropping connections. */
export async function signalBrokerReload(pidFile: string): Promise<number> {
  const pid = Number.parseInt((await readFile(pidFile, 'utf8')).trim(), 10);
  if (!Number.isInteger(pid) || pid < 2 || pid === process.pid) throw new RangeError(`no usable broker pid in ${pidFile}`);
  process.kill(pid, 'SIGHUP');
  return pid;
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
  // writeFile's mode is filtered by the umask; the broker runs as the files' owner (the plugin
  // replaces its file by rename, so it needs the directory, not the file, writable).
  await chmod(tmp, mode);
  await rename(tmp, path);
  return true;
}
