/**
 * Bench-only entry of the rules-worker process: the production `services/rules-worker/src/main.ts`,
 * unchanged, under the V8 sampling profiler (1 ms, as `node --cpu-prof`; NODE_OPTIONS refuses
 * that flag). With BENCH_CPU_PROFILE set, the first SIGUSR2 starts profiling and the second
 * stops it and writes the profile there, so the bench profiles exactly its measured window.
 */
import { profileOnSignal } from './lib/signal-profiler.js';

await profileOnSignal(process.env.BENCH_CPU_PROFILE, { startNow: false });

await import('../../services/rules-worker/src/main.js');
