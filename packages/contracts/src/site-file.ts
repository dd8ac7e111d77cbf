import { z } from 'zod';
import { ChannelSchema, HazardSourceIdSchema } from './ids.js';
import { checkHazardSource, DeviceSchema, EnterpriseSchema, GeofenceSchema, HazardSourceFields, MeasuringPointFields, VehicleSchema } from './registry.js';

/**
 * A site file describes one enterprise and everything registered under it.
 * Devices nest their points; ids of nested entities inherit the enterprise.
 */
const SitePointSchema = MeasuringPointFields.omit({ id: true, deviceId: true, hazardSourceId: true }).extend({
  channel: ChannelSchema,
  hazardSourceId: HazardSourceIdSchema.optional(),
});

export const SiteFileSchema = z
  .object({
    version: z.literal(1),
    enterprise: EnterpriseSchema,
    hazardSources: z.array(HazardSourceFields.omit({ enterpriseId: true }).superRefine(checkHazardSource)).default([]),
    devices: z
      .array(
        DeviceSchema.omit({ enterpriseId: true }).extend({
          /** Hazard source of every point on the device unless a point names its own. */
          hazardSourceId: HazardSourceIdSchema.optional(),
          points: z.array(SitePointSchema).default([]),
        }),
      )
      .default([]),
    vehicles: z.array(VehicleSchema.omit({ enterpriseId: true })).default([]),
    geofences: z.array(z.record(z.string(), z.unknown())).default([]),
  })
  .strict()
  .superRefine((site, ctx) => {
    const sources = new Set(site.hazardSources.map((s) => s.id));
    site.devices.forEach((d, di) => {
      const channels = new Set<string>();
      d.points.forEach((p, pi) => {
        const hs = p.hazardSourceId ?? d.hazardSourceId;
        if (!hs)
          ctx.addIssue({
            code: 'custom',
            path: ['devices', di, 'points', pi, 'hazardSourceId'],
            message: 'point has no hazard source (set it on the point or the device)',
          });
        else if (!sources.has(hs))
          ctx.addIssue({ code: 'custom', path: ['devices', di, 'points', pi, 'hazardSourceId'], message: `unknown hazard source ${hs}` });
        if (channels.has(p.channel))
          ctx.addIssue({ code: 'custom', path: ['devices', di, 'points', pi, 'channel'], message: `duplicate channel ${p.channel}` });
        channels.add(p.channel);
        if (p.rangeMin >= p.rangeMax)
          ctx.addIssue({ code: 'custom', path: ['devices', di, 'points', pi, 'rangeMax'], message: 'rangeMin must be below rangeMax' });
      });
    });
    site.geofences.forEach((g, gi) => {
      const r = GeofenceSchema.safeParse({ ...g, enterpriseId: site.enterprise.id });
      if (!r.success)
        for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: ['geofences', gi, ...issue.path.map(String)], message: issue.message });
    });
  })
  // Geofences were checked above with the enterprise filled in; type them now.
  .transform((site) => ({ ...site, geofences: site.geofences.map((g) => GeofenceSchema.parse({ ...g, enterpriseId: site.enterprise.id })) }));
export type SiteFile = z.infer<typeof SiteFileSchema>;
export type SitePoint = z.infer<typeof SitePointSchema>;
