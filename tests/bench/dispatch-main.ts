/**
 * Bench-only entry of the dispatch process: the production `services/dispatch/src/main.ts`,
 * unchanged, under the V8 sampling profiler (1 ms, the one `node --cpu-prof` uses; NODE_OPTIONS
 * refuses that flag). Profiling starts before dispatch loads; SIGUSR2 stops it and writes the
 * profile to BENCH_CPU_PROFILE, so the bench can cut it at the end of the drain.
 */
import { rename, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

const profileFile = process.env.BENCH_CPU_PROFILE;
if (profileFile) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  process.once('SIGUSR2', () => {
    session
      .post('Profiler.stop')
      .then(({ profile }) => writeFile(`${profileFile}.tmp`, JSON.stringify(profile)))
      // Renamed when complete: the bench waits for the name.
      .then(() => rename(`${profileFile}.tmp`, profileFile))
      .catch((err: unknown) => process.stderr.write(`bench profiler: ${String(err)}\n`));
  });
}

await import('../../services/dispatch/src/main.js');
