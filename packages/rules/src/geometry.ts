import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { lineString, polygon } from '@turf/helpers';
import { pointToLineDistance } from '@turf/point-to-line-distance';

/**
 * Geometry through Turf (no hand-written spherical maths). Coordinates are GeoJSON
 * `[lon, lat]`; shapes are built once per rule and reused.
 */

export type PreparedPolygon = ReturnType<typeof polygon>;
export type PreparedLine = ReturnType<typeof lineString>;

export function preparePolygon(ring: readonly (readonly [number, number])[]): PreparedPolygon {
  return polygon([ring.map(([lon, lat]) => [lon, lat])]);
}

export function prepareLine(line: readonly (readonly [number, number])[]): PreparedLine {
  return lineString(line.map(([lon, lat]) => [lon, lat]));
}

/** Whether the position lies inside the polygon (on the boundary counts as inside). */
export function isInside(lon: number, lat: number, shape: PreparedPolygon): boolean {
  return booleanPointInPolygon([lon, lat], shape);
}

/** Geodesic distance in metres from the position to the nearest point of the line. */
export function distanceToLineM(lon: number, lat: number, line: PreparedLine): number {
  return pointToLineDistance([lon, lat], line, { units: 'meters' });
}
