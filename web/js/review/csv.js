/* Reading a clerk's CSV in the browser and writing the cleaned one back: pure functions, no DOM.
 *
 * A CSV saved by Excel on Chinese Windows is GBK; one saved elsewhere UTF-8, perhaps with a BOM. `decodeText`
 * tries UTF-8 strictly and falls back to GB18030 (a superset of GBK). `parseCsv` follows RFC 4180 (quoted fields
 * with commas, doubled quotes and line breaks); `formatCsv` quotes what needs it and starts with a BOM, so that
 * Excel opens the UTF-8 file with its Chinese intact. */

/** The text of a file's bytes: UTF-8 if they are valid UTF-8, else GB18030. */
export function decodeText(bytes) {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return new TextDecoder("gb18030").decode(bytes);
  }
}

/** The rows of a CSV text as arrays of strings; blank lines are skipped. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endField = () => {
    row.push(field);
    field = "";
  };
  const endRow = () => {
    endField();
    if (row.length > 1 || row[0] !== "") rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") endField();
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      endRow();
    } else field += c;
    i += 1;
  }
  if (field !== "" || row.length) endRow();
  return rows;
}

/** The records of a CSV text: its header and one object per row (missing cells as ""). */
export function readTable(text) {
  const [header = [], ...rows] = parseCsv(text);
  const names = header.map((name) => name.trim());
  return { header: names, records: rows.map((cells) => Object.fromEntries(names.map((name, i) => [name, cells[i] ?? ""]))) };
}

function quoted(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\r\n]/.test(text) ? '"' + text.replaceAll('"', '""') + '"' : text;
}

/** A CSV text (with a BOM, CRLF line ends as Excel writes them) of `records` in the order of `header`. */
export function formatCsv(header, records) {
  const lines = [header.map(quoted).join(",")];
  for (const record of records) lines.push(header.map((name) => quoted(record[name])).join(","));
  return "\uFEFF" + lines.join("\r\n") + "\r\n";
}

/** The column holding the addresses: the first of the usual names present, else the first column. */
export function addressColumn(header) {
  const usual = ["address", "地址", "住址", "门牌地址", "家庭住址"];
  return usual.find((name) => header.includes(name)) ?? header[0];
}
