/* The cleaned table of the review page: each row of the clerk's file with the answer for its address, or the
 * person's pick when the answer needed review. Pure: no DOM. */

export const CLEANED_COLUMNS = ["match_status", "matched_address", "matched_id", "wgs84_lon", "wgs84_lat"];

/** Status and place of one address: `answer` from /geocode/review, `pick` a chosen candidate, null for
 * "none of these", undefined while nobody has chosen. */
export function cleanedCells(answer, pick) {
  const empty = { matched_address: "", matched_id: "", wgs84_lon: "", wgs84_lat: "" };
  if (!answer) return { match_status: "", ...empty };
  const place = (address, id, point) => ({
    matched_address: address || "",
    matched_id: id || "",
    wgs84_lon: point ? point.lon.toFixed(7) : "",
    wgs84_lat: point ? point.lat.toFixed(7) : "",
  });
  if (answer.status === "matched") return { match_status: "matched", ...place(answer.match.address, answer.match.id, answer.wgs84) };
  if (pick === null) return { match_status: "rejected", ...empty };
  if (pick) return { match_status: "reviewed", ...place(pick.address, pick.id, pick.wgs84) };
  return { match_status: answer.status, ...empty };
}

/** The header and records of the cleaned table: the file's columns, then CLEANED_COLUMNS (replacing any the
 * file had), for each record the cells of its address (`answers` and `picks` are Maps by address text). */
export function cleanedTable(header, records, column, answers, picks) {
  const kept = header.filter((name) => !CLEANED_COLUMNS.includes(name));
  const rows = records.map((record) => {
    const text = (record[column] || "").trim();
    return { ...record, ...cleanedCells(answers.get(text), picks.get(text)) };
  });
  return { header: [...kept, ...CLEANED_COLUMNS], records: rows };
}
