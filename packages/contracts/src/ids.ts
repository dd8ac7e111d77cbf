import { z } from 'zod';

/**
 * Identifiers that appear in MQTT topics. They must never contain the MQTT
 * separators or wildcards (`/`, `+`, `#`) nor `$`, so a device id can never
 * widen a subscription or an ACL pattern.
 */
export const TopicIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . - starting with a letter or digit');

export const EnterpriseIdSchema = TopicIdSchema.describe('enterprise id, as used in topics');
export const DeviceIdSchema = TopicIdSchema.describe('device id, as used in topics');
export const VehicleIdSchema = TopicIdSchema.describe('vehicle id (terminal), as used in topics');
export const HazardSourceIdSchema = TopicIdSchema.describe('hazard source id');
export const GeofenceIdSchema = TopicIdSchema.describe('geofence id');

/** A measuring point channel name on a device (`{deviceId}.{channel}` names the point). */
export const ChannelSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'channel must be 1-64 characters of A-Z a-z 0-9 _ . -');

/** Database id of a measuring point (readings are narrow and keyed by it). */
export const PointIdSchema = z.number().int().positive();

/**
 * GB/T 2260 administrative division code: 6 digits, province (2) + city (2) + county (2).
 * A regulator's scope is a prefix of 2, 4 or 6 digits.
 */
export const RegionCodeSchema = z.string().regex(/^\d{6}$/, 'region code must be 6 digits (GB/T 2260)');
export const RegionPrefixSchema = z.string().regex(/^(\d{2}|\d{4}|\d{6})$/, 'region prefix must be 2, 4 or 6 digits (GB/T 2260)');

export type EnterpriseId = z.infer<typeof EnterpriseIdSchema>;
export type DeviceId = z.infer<typeof DeviceIdSchema>;
export type VehicleId = z.infer<typeof VehicleIdSchema>;
export type HazardSourceId = z.infer<typeof HazardSourceIdSchema>;
export type PointId = z.infer<typeof PointIdSchema>;
export type RegionCode = z.infer<typeof RegionCodeSchema>;
export type RegionPrefix = z.infer<typeof RegionPrefixSchema>;
