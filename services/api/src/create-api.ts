import { once } from '@hazardwatch/observability';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { ApiConfigSchema, type ApiDeps } from './deps.js';

export interface Api {
  /** Build the app and listen on `config.host:config.port`; resolves to the base URL (port 0 → the chosen port). */
  start(): Promise<string>;
  /** Stop accepting connections and finish requests in flight. Idempotent. Pool and Redis stay open: they are the caller's. */
  stop(): Promise<void>;
  /** The Fastify instance once started (for inject in embedded tests). */
  readonly app: FastifyInstance | undefined;
}

/** The API as a service: `{ start, stop }` around `buildApp`. */
export function createApi(deps: ApiDeps): Api {
  const config = ApiConfigSchema.parse(deps.config ?? {});
  let app: FastifyInstance | undefined;
  let stopped = false;
  return {
    async start() {
      if (stopped) throw new Error('the API was stopped; create a new one');
      if (app) throw new Error('the API is already started');
      app = await buildApp({ ...deps, config });
      const url = await app.listen({ host: config.host, port: config.port });
      deps.log.info({ service: 'api', url }, 'api listening');
      return url;
    },
    stop: once(async () => {
      stopped = true;
      await app?.close();
    }),
    get app() {
      return app;
    },
  };
}
