import { deleteDevice, getDevice, insertDevice, listDevices, updateDevice } from '@hazardwatch/db';
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
import { CreatedDeviceSchema, DeviceParams, DeviceView, MqttCredentialSchema, RegistryListQuery } from '../schemas/registry.js';
import type { RouteContext } from './context.js';

const DEVICES = { kind: 'device', noun: 'device', get: getDevice, insert: insertDevice, update: updateDevice } as const;

/** Devices (gas detectors, PLC gateways, dam monitoring stations), each with its broker credential. */
export const deviceRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/devices',
    {
      config: { roles: ROLES.read },
      schema: { tags: ['registry'], summary: 'List devices in scope', querystring: RegistryListQuery, response: { 200: pageOf(DeviceView), ...AUTHED_ERRORS } },
    },
    async (req) => {
      const q = req.query;
      const rows = await listDevices(ctx.pool, accessOf(req).scope, {
        enterpriseId: q.enterpriseId,
        regionPrefix: q.region,
        after: decodeStringCursor(q.cursor),
        limit: q.limit + 1,
      });
      return toPage(rows, q.limit, (d) => d.id);
    },
  );

  app.post(
    '/devices',
    {
      config: { roles: ROLES.provision },
      schema: {
        tags: ['registry'],
        summary: 'Register a device; answers its broker credential (the password is shown only here)',
        body: DeviceView,
        response: { 201: CreatedDeviceSchema, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      const created = await registerTerminal(ctx.pool, accessOf(req).scope, DEVICES, req.body);
      if (!created) throw notFound('enterprise');
      return reply.status(201).send({ device: created.terminal, credential: created.credential });
    },
  );

  app.get(
    '/devices/:deviceId',
    {
      config: { roles: ROLES.read },
      schema: { tags: ['registry'], summary: 'Get a device', params: DeviceParams, response: { 200: DeviceView, ...AUTHED_ERRORS } },
    },
    async (req) => {
      const d = await getDevice(ctx.pool, accessOf(req).scope, req.params.deviceId);
      if (!d) throw notFound('device');
      return d;
    },
  );

  app.put(
    '/devices/:deviceId',
    {
      config: { roles: ROLES.provision },
      schema: {
        tags: ['registry'],
        summary: 'Replace a device (its enterprise stays)',
        params: DeviceParams,
        body: DeviceView,
        response: { 200: DeviceView, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      return replaceRegistered(ctx.pool, accessOf(req).scope, DEVICES, req.params.deviceId, req.body);
    },
  );

  app.delete(
    '/devices/:deviceId',
    {
      config: { roles: ROLES.provision },
      schema: {
        tags: ['registry'],
        summary: 'Delete a device with its measuring points and broker credential (stored readings stay)',
        params: DeviceParams,
        response: { 204: z.null(), ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      if (!(await deleteDevice(ctx.pool, accessOf(req).scope, req.params.deviceId))) throw notFound('device');
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/devices/:deviceId/credential',
    {
      config: { roles: ROLES.provision },
      schema: {
        tags: ['registry'],
        summary: 'Rotate the broker password of a device (the old one stops working once the broker reloads its password file)',
        params: DeviceParams,
        response: { 200: MqttCredentialSchema, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const c = await issueMqttCredential(ctx.pool, accessOf(req).scope, { kind: 'device', id: req.params.deviceId });
      if (!c) throw notFound('device');
      return c;
    },
  );
};
