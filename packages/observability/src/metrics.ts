import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

/**
 * The process-wide metrics registry. Every service in the process registers
 * here so `/metrics` (served by the API) shows all of them.
 */
export const metricsRegistry = new Registry();
let defaultsOn = false;

export function enableDefaultMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: metricsRegistry, prefix: 'hazardwatch_' });
  // prom-client also exports the sums of `nodejs_active_{handles,requests,resources}` (by type)
  // as gauges named `…_total`, which Prometheus reserves for counters (promtool flags them).
  // The by-type gauges stay; sum(…) gives the same figure.
  for (const what of ['handles', 'requests', 'resources']) metricsRegistry.removeSingleMetric(`hazardwatch_nodejs_active_${what}_total`);
}

/** Get-or-create, so two instances of a service in one process (tests) share a metric. */
export function counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
  const existing = metricsRegistry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames, registers: [metricsRegistry] });
}

export function gauge(name: string, help: string, labelNames: string[] = []): Gauge<string> {
  const existing = metricsRegistry.getSingleMetric(name);
  if (existing) return existing as Gauge<string>;
  return new Gauge({ name, help, labelNames, registers: [metricsRegistry] });
}

export function histogram(name: string, help: string, buckets: number[], labelNames: string[] = []): Histogram<string> {
  const existing = metricsRegistry.getSingleMetric(name);
  if (existing) return existing as Histogram<string>;
  return new Histogram({ name, help, buckets, labelNames, registers: [metricsRegistry] });
}
