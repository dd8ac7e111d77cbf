import { counter, histogram } from '@hazardwatch/observability';
import type { FastifyInstance } from 'fastify';

/** HTTP metrics in the process-wide registry, labelled by route pattern (bounded cardinality). */
export function httpMetrics() {
  return {
    requests: counter('hazardwatch_http_requests_total', 'HTTP requests answered by the API', ['method', 'route', 'status']),
    duration: histogram(
      'hazardwatch_http_request_duration_seconds',
      'Time to answer an HTTP request',
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      ['method', 'route'],
    ),
  };
}

export function registerHttpMetrics(app: FastifyInstance): void {
  const m = httpMetrics();
  app.addHook('onResponse', async (req, reply) => {
    // The pattern (`/api/v1/devices/:deviceId`), never the raw URL: ids would explode the series count.
    const route = req.routeOptions.url ?? 'unmatched';
    m.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    m.duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
}
