/**
 * Bench-only entry of the dispatch process: the production `services/dispatch/src/main.ts`,
 * unchanged, under the V8 sampling profiler (1 ms, the one `node --cpu-prof` uses; NODE_OPTIONS
 * refuses that flag). Profiling starts before dispatch loads; SIGUSR2 stops it and writes the
 * profile to BENCH_CPU_PROFILE, so the bench can cut it at the end of the drain.
 */
import { profileOnSignal } from './lib/signal-profiler.js';

await profileOnSignal(process.env.BENCH_CPU_PROFILE, { startNow: true });

await import('../../services/dispatch/src/main.js');
