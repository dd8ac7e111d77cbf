/**
 * Bench-only entry of the ingest process: the production `services/ingest/src/main.ts`,
 * unchanged, plus a loopback HTTP listener that serves the process-wide metrics
 * registry (commit latency histogram, counters, default process metrics) and the
 * event-loop utilisation, so the bench can scrape them. In production the API
 * serves the same registry on /metrics; nothing here changes ingest's behaviour.
 *
 * With BENCH_CPU_PROFILE=<file>, SIGUSR2 starts the V8 sampling profiler (the one
 * `node --cpu-prof` uses, 1 ms interval) and a second SIGUSR2 writes the profile
 * there: the bench profiles its steady window only, not start-up or drain.
 */

import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { metricsRegistry } from '@hazardwatch/observability';
import { profileOnSignal } from '../lib/signal-profiler.js';

const port = Number(process.env.BENCH_METRICS_PORT);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('BENCH_METRICS_PORT must be set to a free TCP port\n');
  process.exit(2);
}

const server = createServer((_req, res) => {
  metricsRegistry.metrics().then(
    (text) => {
      // Cumulative event-loop active/idle time: the share of the one JS thread ingest runs on that is busy.
      const elu = performance.eventLoopUtilization();
      res.setHeader('content-type', metricsRegistry.contentType);
      res.end(`${text}\nbench_event_loop_active_ms ${elu.active}\nbench_event_loop_idle_ms ${elu.idle}\n`);
    },
    (err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    },
  );
});
server.on('error', (err) => {
  process.stderr.write(`bench metrics listener: ${err.message}\n`);
});
server.unref();
server.listen(port, '127.0.0.1');

await profileOnSignal(process.env.BENCH_CPU_PROFILE, { startNow: false });

await import('../../../services/ingest/src/main.js');
