import { mqttPasswordFile } from '@hazardwatch/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { AUTHED_ERRORS } from '../schemas/error.js';
import type { RouteContext } from './context.js';

/** What the production broker needs from the register. */
export const brokerRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/broker/password-file',
    {
      config: { roles: ROLES.admin },
      schema: {
        tags: ['broker'],
        summary: 'Mosquitto password_file of every device and vehicle credential (hashes only)',
        response: {
          200: { description: '`username:$7$…` lines (PBKDF2-SHA512), as mosquitto_passwd writes them', content: { 'text/plain': { schema: z.string() } } },
          ...AUTHED_ERRORS,
        },
      },
    },
    async (req, reply) => {
      const lines = await mqttPasswordFile(ctx.pool, accessOf(req).scope);
      return reply.type('text/plain; charset=utf-8').send(lines.map((l) => `${l}\n`).join(''));
    },
  );
};
