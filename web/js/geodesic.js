/* Lengths and areas on the WGS-84 ellipsoid, for measuring on the map. Points are [lon, lat] in degrees (WGS-84).
 *
 * A distance is Vincenty's inverse solution (millimetre-accurate); the rare nearly antipodal pair where it does
 * not converge falls back to the great circle on a sphere of the mean radius. An area is the polygon's spherical
 * excess on the authalic sphere (the sphere of the ellipsoid's area) after mapping each latitude to its authalic
 * latitude: exact for a cell bounded by meridians and parallels and within a few millionths of the ellipsoid's
 * geodesic polygon for anything a city measures.
 */
const AXIS = 6378137.0;
const FLATTENING = 1 / 298.257223563;
const MINOR_AXIS = AXIS * (1 - FLATTENING);
const ECCENTRICITY_SQ = FLATTENING * (2 - FLATTENING);
const ECCENTRICITY = Math.sqrt(ECCENTRICITY_SQ);
const MEAN_RADIUS = (2 * AXIS + MINOR_AXIS) / 3;
const RADIANS = Math.PI / 180;
const VINCENTY_ITERATIONS = 200;

function authalicQ(sinLat) {
  // q(φ) of the authalic latitude (Snyder, Map projections: a working manual, eq. 3-12).
  const e = ECCENTRICITY;
  return (1 - ECCENTRICITY_SQ) * (sinLat / (1 - ECCENTRICITY_SQ * sinLat * sinLat)
    - (1 / (2 * e)) * Math.log((1 - e * sinLat) / (1 + e * sinLat)));
}
const POLE_Q = authalicQ(1);
/** The radius of the sphere with the ellipsoid's area, in metres. */
export const AUTHALIC_RADIUS = AXIS * Math.sqrt(POLE_Q / 2);

function authalicLatitude(latRadians) {
  return Math.asin(Math.max(-1, Math.min(1, authalicQ(Math.sin(latRadians)) / POLE_Q)));
}

function greatCircle([lon1, lat1], [lon2, lat2]) {
  const dLat = (lat2 - lat1) * RADIANS;
  const dLon = (lon2 - lon1) * RADIANS;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RADIANS) * Math.cos(lat2 * RADIANS) * Math.sin(dLon / 2) ** 2;
  return 2 * MEAN_RADIUS * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The geodesic distance between two [lon, lat] points, in metres. */
export function distance(from, to) {
  const [lon1, lat1] = from;
  const [lon2, lat2] = to;
  const u1 = Math.atan((1 - FLATTENING) * Math.tan(lat1 * RADIANS));
  const u2 = Math.atan((1 - FLATTENING) * Math.tan(lat2 * RADIANS));
  const sinU1 = Math.sin(u1), cosU1 = Math.cos(u1), sinU2 = Math.sin(u2), cosU2 = Math.cos(u2);
  const lonDiff = (lon2 - lon1) * RADIANS;
  let lambda = lonDiff;
  for (let i = 0; i < VINCENTY_ITERATIONS; i++) {
    const sinLambda = Math.sin(lambda), cosLambda = Math.cos(lambda);
    const sinSigma = Math.hypot(cosU2 * sinLambda, cosU1 * sinU2 - sinU1 * cosU2 * cosLambda);
    if (sinSigma === 0) return 0; // the same point
    const cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosLambda;
    const sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = (cosU1 * cosU2 * sinLambda) / sinSigma;
    const cosSqAlpha = 1 - sinAlpha * sinAlpha;
    const cos2SigmaM = cosSqAlpha === 0 ? 0 : cosSigma - (2 * sinU1 * sinU2) / cosSqAlpha; // 0 on the equator
    const c = (FLATTENING / 16) * cosSqAlpha * (4 + FLATTENING * (4 - 3 * cosSqAlpha));
    const previous = lambda;
    lambda = lonDiff + (1 - c) * FLATTENING * sinAlpha
      * (sigma + c * sinSigma * (cos2SigmaM + c * cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)));
    if (Math.abs(lambda - previous) > 1e-12) continue;
    const uSq = (cosSqAlpha * (AXIS * AXIS - MINOR_AXIS * MINOR_AXIS)) / (MINOR_AXIS * MINOR_AXIS);
    const a = 1 + (uSq / 16384) * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq)));
    const b = (uSq / 1024) * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)));
    const deltaSigma = b * sinSigma * (cos2SigmaM + (b / 4) * (cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)
      - (b / 6) * cos2SigmaM * (-3 + 4 * sinSigma * sinSigma) * (-3 + 4 * cos2SigmaM * cos2SigmaM)));
    return MINOR_AXIS * a * (sigma - deltaSigma);
  }
  return greatCircle(from, to);
}

/** The length of a path through [lon, lat] points, in metres. */
export function pathLength(points) {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += distance(points[i - 1], points[i]);
  return total;
}

/** The area of a polygon ring of [lon, lat] points (closed or not, either direction), in square metres. */
export function ringArea(ring) {
  if (ring.length < 3) return 0;
  let excess = 0;
  for (let i = 0; i < ring.length; i++) {
    const [lon1, lat1] = ring[i];
    const [lon2, lat2] = ring[(i + 1) % ring.length];
    // The signed excess of the triangle the edge makes with the pole (exact for a great-circle edge).
    let lonStep = (lon2 - lon1) * RADIANS;
    if (lonStep > Math.PI) lonStep -= 2 * Math.PI;
    if (lonStep < -Math.PI) lonStep += 2 * Math.PI;
    const t1 = Math.tan(authalicLatitude(lat1 * RADIANS) / 2);
    const t2 = Math.tan(authalicLatitude(lat2 * RADIANS) / 2);
    excess += 2 * Math.atan2(Math.tan(lonStep / 2) * (t1 + t2), 1 + t1 * t2);
  }
  return Math.abs(excess) * AUTHALIC_RADIUS * AUTHALIC_RADIUS;
}
