/* Pure class breaks for the choropleths' legends: a few classes with round limits, never a "0–0" one.
 *
 * `classesFor(values)` gives [{ from, to, label }] from the least value (rounded down to the step) up: `to` is
 * null for the open top class. A class holding one value is labelled with it alone ("0", not "0–0"), a small
 * range gets fewer classes (0, 1, 2 give "0", "1", "≥ 2"), values all equal collapse into one class, and no
 * values at all give no classes, which the legend shows as a state of its own ("no data").
 */

/** The smallest of 1, 2, 2.5, 5 x 10^n at least `value` (1 for nothing positive): limits read at a glance. */
export function niceStep(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((step) => step >= value);
}

function formatNumber(value, integer) {
  return integer ? String(value) : String(Math.round(value * 10) / 10);
}

/** At most `count` classes for `values` (finite numbers, not below 0), one when they are all equal, none for
 * no values; `integer` for counts, else rates (one decimal). */
export function classesFor(values, { count = 5, integer = true } = {}) {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  const format = (value) => formatNumber(value, integer);
  if (max === -Infinity) return [];
  if (min === max) return [{ from: max, to: max, label: format(max) }];
  // Round steps over the range; the first class starts at the step below the least value, and classes that
  // would lie wholly above the greatest value are left out: a small range gets few classes, never empty ones.
  const step = integer ? Math.max(1, Math.ceil(niceStep((max - min) / count))) : niceStep((max - min) / count);
  const start = Math.floor(min / step) * step;
  const used = Math.min(count, Math.floor((max - start) / step) + 1);
  const classes = [];
  for (let i = 0; i < used; i++) {
    const from = start + i * step;
    const to = i === used - 1 ? null : integer ? from + step - 1 : from + step;
    const label = to === null ? "≥ " + format(from) : to === from ? format(from) : format(from) + "–" + format(to);
    classes.push({ from, to, label });
  }
  return classes;
}

/** The index of the class holding `value`, or -1 for no value (or no classes). */
export function classIndex(classes, value) {
  if (!Number.isFinite(value)) return -1;
  for (let i = classes.length - 1; i >= 0; i--) if (value >= classes[i].from) return i;
  return -1;
}

/** `n` colours of `ramp`, spread from its first to its last (its first alone for one class). */
export function rampColours(ramp, n) {
  if (n <= 1) return ramp.slice(0, n);
  return Array.from({ length: n }, (_, i) => ramp[Math.round((i * (ramp.length - 1)) / (n - 1))]);
}
