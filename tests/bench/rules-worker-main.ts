/**
 * Bench-only entry of the rules-worker process: the production `services/rules-worker/src/main.ts`,
 * unchanged, under the V8 sampling profiler (1 ms, as `node --cpu-prof`; NODE_OPTIONS refuses
 * that flag). With BENCH_CPU_PROFILE set, the first SIGUSR2 starts profiling and the second
 * stops it and writes the profile there, so the bench profiles exactly its measured window.
 */
import { rename, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

const profileFile = process.env.BENCH_CPU_PROFILE;
if (profileFile) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.start').catch((err: unknown) => process.stderr.write(`bench profiler: ${String(err)}\n`));
      return;
    }
    session
      .post('Profiler.stop')
      .then(({ profile }) => writeFile(`${profileFile}.tmp`, JSON.stringify(profile)))
      // Renamed when complete: the bench waits for the name.
      .then(() => rename(`${profileFile}.tmp`, profileFile))
      .catch((err: unknown) => process.stderr.write(`bench profiler: ${String(err)}\n`));
  });
}

await import('../../services/rules-worker/src/main.js');
