import type { Principal, Role } from './principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by authentication; null on public routes and before it runs. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; required on every route under /api/v1 unless `public`. */
    roles?: readonly Role[];
    /** No authentication (health, metrics when configured so, docs). */
    public?: boolean;
  }
}
