import { rename, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/**
 * The V8 sampling profiler (1 ms, the one `node --cpu-prof` uses; NODE_OPTIONS refuses that
 * flag) of a bench-only service entry, driven by SIGUSR2: each signal toggles it, a stop writes
 * the profile to `file` (under a temporary name, renamed when complete: the bench waits for the
 * name). `startNow` starts it before the service loads (a signal then stops it); otherwise the
 * first signal starts it, so the bench profiles exactly its measured window. No file, no profiler.
 */
export async function profileOnSignal(file: string | undefined, o: { startNow: boolean }): Promise<void> {
  if (!file) return;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  let profiling = false;
  const toggle = () => {
    const step = profiling
      ? session
          .post('Profiler.stop')
          .then(({ profile }) => writeFile(`${file}.tmp`, JSON.stringify(profile)))
          .then(() => rename(`${file}.tmp`, file))
      : session.post('Profiler.start');
    profiling = !profiling;
    return step.catch((err: unknown) => process.stderr.write(`bench profiler: ${String(err)}\n`));
  };
  if (o.startNow) await toggle();
  process.on('SIGUSR2', () => void toggle());
}
