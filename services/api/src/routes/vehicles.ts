import { deleteVehicle, getVehicle, insertVehicle, listVehicles, updateVehicle } from '@hazardwatch/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { issueMqttCredential } from '../credentials/issue-credential.js';
import { registerTerminal } from '../credentials/register-terminal.js';
import { notFound } from '../errors.js';
import { replaceRegistered } from '../replace-registered.js';
import { AUTHED_ERRORS, WRITE_ERRORS } from '../schemas/error.js';
import { decodeStringCursor, pageOf, toPage } from '../schemas/page.js';
import { CreatedVehicleSchema, MqttCredentialSchema, RegistryListQuery, VehicleParams, VehicleView } from '../schemas/registry.js';
import type { RouteContext } from './context.js';

const VEHICLES = { kind: 'vehicle', noun: 'vehicle', get: getVehicle, insert: insertVehicle, update: updateVehicle } as const;

/** Hazardous-goods vehicles (两客一危), each terminal with its broker credential. Their track is under telemetry. */
export const vehicleRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/vehicles',
    {
      config: { roles: ROLES.read },
      schema: {
        tags: ['registry'],
        summary: 'List vehicles in scope',
        querystring: RegistryListQuery,
        response: { 200: pageOf(VehicleView), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = await listVehicles(ctx.pool, accessOf(req).scope, {
        enterpriseId: q.enterpriseId,
        regionPrefix: q.region,
        after: decodeStringCursor(q.cursor),
        limit: q.limit + 1,
      });
      return toPage(rows, q.limit, (d) => d.id);
    },
  );

  app.post(
    '/vehicles',
    {
      config: { roles: ROLES.provision },
      schema: {
        tags: ['registry'],
        summary: 'Register a vehicle; answers its broker credential (the password is shown only here)',
        body: VehicleView,
        response: { 201: CreatedVehicleSchema, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      const created = await registerTerminal(ctx.pool, accessOf(req).scope, VEHICLES, req.body);
      if (!created) throw notFound('enterprise');
      return reply.status(201).send({ vehicle: created.terminal, credential: created.credential });
    },
  );

  app.get(
    '/vehicles/:vehicleId',
    {
      config: { roles: ROLES.read },
      schema: { tags: ['registry'], summary: 'Get a vehicle', params: VehicleParams, response: { 200: VehicleView, ...AUTHED_ERRORS } },
    },
    async (req) => {
      const d = await getVehicle(ctx.pool, accessOf(req).scope, req.params.vehicleId);
      if (!d) throw notFound('vehicle');
      return d;
    },
  );

  app.put(
    '/vehicles/:vehicleId',
    {
      config: { roles: ROLES.provision },
      schema: {
        tags: ['registry'],
        summary: 'Replace a vehicle (its enterprise stays)',
        params: VehicleParams,
        body: VehicleView,
        response: { 200: VehicleView, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      return replaceRegistered(ctx.pool, accessOf(req).scope, VEHICLES, req.params.vehicleId, req.body);
    },
  );

  app.delete(
    '/vehicles/:vehicleId',
    {
      config: { roles: ROLES.provision },
      schema: {
        tags: ['registry'],
        summary: 'Delete a vehicle with its broker credential (stored positions stay)',
        params: VehicleParams,
        response: { 204: z.null(), ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      if (!(await deleteVehicle(ctx.pool, accessOf(req).scope, req.params.vehicleId))) throw notFound('vehicle');
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/vehicles/:vehicleId/credential',
    {
      config: { roles: ROLES.provision },
      schema: {
        tags: ['registry'],
        summary: 'Rotate the broker password of a vehicle terminal (the old one stops working once the broker reloads its password file)',
        params: VehicleParams,
        response: { 200: MqttCredentialSchema, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const c = await issueMqttCredential(ctx.pool, accessOf(req).scope, { kind: 'vehicle', id: req.params.vehicleId });
      if (!c) throw notFound('vehicle');
      return c;
    },
  );
};
