/**
 * Just enough spherical geometry to move simulated vehicles along a polyline.
 * (The rules engine uses a geometry library for its checks; the simulator only
 * has to place points on a route, so a few lines of maths are kept here.)
 */

/** [lon, lat] in degrees, GeoJSON order (as in the site file's geofences). */
export type LonLat = readonly [number, number];

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Great-circle distance in metres (haversine). */
export function distanceM(a: LonLat, b: LonLat): number {
  const dLat = rad(b[1] - a[1]);
  const dLon = rad(b[0] - a[0]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[1])) * Math.cos(rad(b[1])) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial bearing from a to b, degrees clockwise from north in [0, 360). */
export function bearingDeg(a: LonLat, b: LonLat): number {
  const y = Math.sin(rad(b[0] - a[0])) * Math.cos(rad(b[1]));
  const x = Math.cos(rad(a[1])) * Math.sin(rad(b[1])) - Math.sin(rad(a[1])) * Math.cos(rad(b[1])) * Math.cos(rad(b[0] - a[0]));
  const deg = (Math.atan2(y, x) * 180) / Math.PI;
  return (deg + 360) % 360;
}

/** A polyline with cumulative distances, for placing points by distance along it. */
export interface Route {
  readonly points: readonly LonLat[];
  /** cumulative[i] = distance in metres from points[0] to points[i]. */
  readonly cumulativeM: readonly number[];
  readonly lengthM: number;
}

/** Builds a {@link Route}; needs at least two points. */
export function makeRoute(points: readonly LonLat[]): Route {
  if (points.length < 2) throw new RangeError('a route needs at least two points');
  const cumulativeM = [0];
  let total = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (a && b) total += distanceM(a, b);
    cumulativeM.push(total);
  }
  return { points, cumulativeM, lengthM: total };
}

/** Reverses a route's direction of travel. */
export function reverseRoute(route: Route): Route {
  return makeRoute([...route.points].reverse());
}

/**
 * The point `alongM` metres from the start (clamped to the route's ends) and the
 * heading of travel there. Interpolation is linear in lon/lat inside a segment,
 * which is exact enough over segments of a few tens of kilometres.
 */
export function pointAlong(route: Route, alongM: number): { at: LonLat; headingDeg: number } {
  const d = Math.min(Math.max(alongM, 0), route.lengthM);
  let i = 1;
  while (i < route.points.length - 1 && (route.cumulativeM[i] ?? 0) < d) i++;
  const a = route.points[i - 1] ?? route.points[0];
  const b = route.points[i] ?? a;
  if (!a || !b) throw new RangeError('empty route');
  const from = route.cumulativeM[i - 1] ?? 0;
  const to = route.cumulativeM[i] ?? from;
  const f = to > from ? (d - from) / (to - from) : 0;
  return { at: [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f], headingDeg: bearingDeg(a, b) };
}

/** Ray-casting point-in-polygon on a [lon, lat] ring (planar; fine for city-sized areas). */
export function insidePolygon(p: LonLat, ring: readonly LonLat[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i];
    const b = ring[j];
    if (!a || !b) continue;
    if (a[1] > p[1] !== b[1] > p[1] && p[0] < ((b[0] - a[0]) * (p[1] - a[1])) / (b[1] - a[1]) + a[0]) inside = !inside;
  }
  return inside;
}
