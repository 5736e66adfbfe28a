/* Pure helpers of the statistics table (viewer/stats-table.js): sorting rows, formatting cells, the API query.
 *
 * Rows and columns are those of GET /api/v1/grid-stats: each column has a key, a title and a kind ("text",
 * "count" or "share", 0 to 1); a row maps keys to values, null where there is nothing to measure.
 */

const COLLATOR = new Intl.Collator("zh-CN", { numeric: true });

/** `rows` sorted by column `key` (a new array): numbers by value, text by Chinese collation; empty cells
 * (null, missing) last in either direction, ties kept in their order. */
export function sortRows(rows, key, descending = false) {
  const sign = descending ? -1 : 1;
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => {
      const x = a.row[key];
      const y = b.row[key];
      const xEmpty = x === null || x === undefined;
      const yEmpty = y === null || y === undefined;
      if (xEmpty || yEmpty) return xEmpty === yEmpty ? a.index - b.index : xEmpty ? 1 : -1;
      const order = typeof x === "number" && typeof y === "number" ? x - y : COLLATOR.compare(String(x), String(y));
      return order === 0 ? a.index - b.index : sign * order;
    })
    .map(({ row }) => row);
}

/** The text of a cell: "—" for nothing, a share as a whole percentage ("87%"), counts with thousands separators. */
export function formatCell(value, kind) {
  if (value === null || value === undefined) return "—";
  if (kind === "share") return Math.round(value * 100) + "%";
  if (kind === "count") return value.toLocaleString("zh-CN");
  return String(value);
}

/** The query of the table: `version` (id or null), `level`, and either `community` or `bbox` (a WGS-84 string)
 * or neither (every area of the level); `format` "csv" or "xlsx" for a download. */
export function statsQuery({ version, level, community, bbox, format }) {
  const params = new URLSearchParams({ level: level || "grid" });
  if (version !== null && version !== undefined) params.set("version", String(version));
  if (community) params.set("community", community);
  else if (bbox) params.set("bbox", bbox);
  if (format) params.set("format", format);
  return params;
}
