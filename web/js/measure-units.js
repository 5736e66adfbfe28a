/* Measured lengths and areas as a planner reads them (米/公里, 平方米/公顷/亩), and the length of a scale bar. */

/** One mu (亩): a fifteenth of a hectare. */
export const MU_SQUARE_METRES = 10000 / 15;

function number(value, digits) {
  return value.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A distance in metres as text: metres below a kilometre, kilometres from there. */
export function formatDistance(metres) {
  if (metres < 1000) return number(metres, metres < 10 ? 1 : 0) + " 米 m";
  return number(metres / 1000, metres < 100_000 ? 2 : 1) + " 公里 km";
}

/** An area in square metres as its three usual figures: square metres, hectares and mu. */
export function areaFigures(squareMetres) {
  return { squareMetres, hectares: squareMetres / 10000, mu: squareMetres / MU_SQUARE_METRES };
}

/** An area in square metres as text in m², hectares and mu (亩). */
export function formatArea(squareMetres) {
  const { hectares, mu } = areaFigures(squareMetres);
  return [
    number(squareMetres, squareMetres < 100 ? 1 : 0) + " 平方米 m²",
    number(hectares, hectares < 100 ? 2 : 1) + " 公顷 ha",
    number(mu, mu < 100 ? 2 : 1) + " 亩 mu",
  ].join(" · ");
}

/** The longest round length (1, 2 or 5 times a power of ten) of at most `maxMetres`, for a scale bar. */
export function scaleBarMetres(maxMetres) {
  if (!(maxMetres > 0)) return 0;
  const power = 10 ** Math.floor(Math.log10(maxMetres));
  const step = [5, 2, 1].find((m) => m * power <= maxMetres * (1 + 1e-9));
  return step * power;
}

/** A scale bar's label: metres below a kilometre, else kilometres. */
export function scaleBarLabel(metres) {
  return metres < 1000 ? metres + " 米 m" : metres / 1000 + " 公里 km";
}
