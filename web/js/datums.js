/* Chinese map datums for the pages: GCJ-02 (Amap, WeChat) is WGS-84 plus a published, smooth shift, and
 * BD-09 (Baidu) is GCJ-02 turned and shifted again. The server's gridmap/geo/crs.py does the same in Python;
 * the pages need it only to place WGS-84 points on GCJ-02 tiles and to read a device's GCJ-02 position.
 * Coordinates are (lon, lat) pairs in and out.
 */
const AXIS = 6378245.0; // Krasovsky 1940, the ellipsoid the GCJ-02 shift is defined on
const ECCENTRICITY_SQ = 0.006693421622965943; // 0.00669342162296594323, as a double

function outsideChina(lon, lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

export function wgs84ToGcj02(lon, lat) {
  if (outsideChina(lon, lat)) return [lon, lat];
  const x = lon - 105.0;
  const y = lat - 35.0;
  const wave = (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
  let dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + wave;
  dLat += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
  dLat += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320.0 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
  let dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + wave;
  dLon += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
  dLon += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
  const radLat = lat / 180.0 * Math.PI;
  const magic = 1 - ECCENTRICITY_SQ * Math.sin(radLat) * Math.sin(radLat);
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / ((AXIS * (1 - ECCENTRICITY_SQ)) / (magic * sqrtMagic) * Math.PI);
  dLon = (dLon * 180.0) / (AXIS / sqrtMagic * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}

export function gcj02ToWgs84(lon, lat) {
  // The forward shift is smooth and small: a few fixed-point steps invert it to far below a centimetre.
  let [x, y] = [lon, lat];
  for (let step = 0; step < 30; step++) {
    const [fx, fy] = wgs84ToGcj02(x, y);
    const [ex, ey] = [fx - lon, fy - lat];
    x -= ex;
    y -= ey;
    if (Math.abs(ex) < 1e-10 && Math.abs(ey) < 1e-10) break;
  }
  return [x, y];
}

export function bd09ToGcj02(lon, lat) {
  const xPi = Math.PI * 3000.0 / 180.0;
  const x = lon - 0.0065;
  const y = lat - 0.006;
  const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * xPi);
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * xPi);
  return [z * Math.cos(theta), z * Math.sin(theta)];
}

/** A point given in `datum` (wgs84, gcj02 or bd09) as WGS-84. */
export function toWgs84(lon, lat, datum) {
  if (datum === "gcj02") return gcj02ToWgs84(lon, lat);
  if (datum === "bd09") return gcj02ToWgs84(...bd09ToGcj02(lon, lat));
  return [lon, lat];
}

/** A WGS-84 point in `datum` wgs84 or gcj02 (the datums map tiles come in). */
export function fromWgs84(lon, lat, datum) {
  return datum === "gcj02" ? wgs84ToGcj02(lon, lat) : [lon, lat];
}
