/* Pure date arithmetic of the incident filters: dates are China dates (UTC+8, no daylight saving). */

const CHINA_OFFSET_MS = 8 * 3600 * 1000;

/** The instant a China date ("2026-10-01") starts, as an ISO string with its offset. */
export function chinaStart(day) {
  return day + "T00:00:00+08:00";
}

/** The China date of an instant (milliseconds since the epoch). */
export function chinaDay(ms) {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** The China date `days` after `day`. */
export function addDays(day, days) {
  return chinaDay(Date.parse(chinaStart(day)) + days * 86400000);
}

/** An ISO instant as "YYYY-MM-DD HH:MM" China time, or "—" for none. */
export function chinaTime(iso) {
  if (!iso) return "—";
  const ms = Date.parse(iso);
  return chinaDay(ms) + " " + new Date(ms + CHINA_OFFSET_MS).toISOString().slice(11, 16);
}

/** The weeks ("week", from Monday) or months ("month") from the one holding `first` to the one holding `last`
 * (instants in milliseconds), as [{ since, before, label }]; at most 1000. */
export function periodsBetween(first, last, step) {
  const periods = [];
  let day = chinaDay(first);
  if (step === "week") {
    const sinceMonday = (new Date(day + "T00:00:00Z").getUTCDay() + 6) % 7; // the calendar weekday of the date
    day = addDays(day, -sinceMonday);
  } else {
    day = day.slice(0, 8) + "01";
  }
  while (Date.parse(chinaStart(day)) <= last && periods.length < 1000) {
    let next;
    let label;
    if (step === "week") {
      next = addDays(day, 7);
      label = day + " – " + addDays(next, -1);
    } else {
      const [y, m] = day.split("-").map(Number);
      next = (m === 12 ? y + 1 + "-01" : y + "-" + String(m + 1).padStart(2, "0")) + "-01";
      label = y + "年" + m + "月 " + day.slice(0, 7);
    }
    periods.push({ since: chinaStart(day), before: chinaStart(next), label });
    day = next;
  }
  return periods;
}

/** `periods` cut to the China dates `from` to `to` (both included; "" for no bound), so that frames that add up
 * cover the filter's days exactly: a week straddling a bound keeps only its days inside, labelled by them, and a
 * period wholly outside is dropped. */
export function clipPeriods(periods, from, to) {
  const clipped = [];
  for (const period of periods) {
    const first = period.since.slice(0, 10);
    const end = period.before.slice(0, 10); // the day after the period
    const since = from && from > first ? from : first;
    const before = to && addDays(to, 1) < end ? addDays(to, 1) : end;
    if (since >= before) continue;
    const cut = since !== first || before !== end;
    clipped.push(cut ? { since: chinaStart(since), before: chinaStart(before), label: since + " – " + addDays(before, -1) }
      : period);
  }
  return clipped;
}
