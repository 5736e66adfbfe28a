/* A one-page PDF holding one JPEG image, written by hand: PDF embeds JPEG data as it is (DCTDecode), so a map
 * drawn on a canvas becomes a PDF file without a library, offline. */

/** A4 landscape, in points (1/72 inch). */
export const A4_LANDSCAPE = [841.89, 595.28];

const encoder = new TextEncoder();

function pdfDate(moment) {
  // D:YYYYMMDDHHmmSSZ, in UTC.
  return "D:" + moment.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
}

function utf16Hex(text) {
  // A PDF text string of any characters: UTF-16BE with its byte order mark, in hex.
  let hex = "FEFF";
  for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).padStart(4, "0").toUpperCase();
  return "<" + hex + ">";
}

/** Where an image of `width` x `height` pixels sits on `page` ([width, height] in points), fitted inside `margin`
 * and centred: [x, y, drawnWidth, drawnHeight] in points. */
export function fitOnPage(width, height, page, margin) {
  const scale = Math.min((page[0] - 2 * margin) / width, (page[1] - 2 * margin) / height);
  const drawn = [width * scale, height * scale];
  return [(page[0] - drawn[0]) / 2, (page[1] - drawn[1]) / 2, drawn[0], drawn[1]];
}

/** The bytes of a PDF showing `jpeg` (its bytes; `width` x `height` pixels, RGB) on one page. */
export function jpegPdf(jpeg, { width, height, title, created, page = A4_LANDSCAPE, margin = 18 }) {
  const [x, y, w, h] = fitOnPage(width, height, page, margin).map((n) => n.toFixed(2));
  const content = "q " + w + " 0 0 " + h + " " + x + " " + y + " cm /Map Do Q";
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + page.map((n) => n.toFixed(2)).join(" ") + "]"
      + " /Resources << /XObject << /Map 4 0 R >> >> /Contents 5 0 R >>",
    ["<< /Type /XObject /Subtype /Image /Width " + width + " /Height " + height
      + " /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length " + jpeg.length + " >>", jpeg],
    ["<< /Length " + content.length + " >>", encoder.encode(content)],
    "<< /Title " + utf16Hex(title || "") + " /Producer (gridmap) /CreationDate (" + pdfDate(created || new Date()) + ") >>",
  ];
  const chunks = [encoder.encode("%PDF-1.4\n%\u00e2\u00e3\n")];
  let length = chunks[0].length;
  const offsets = [];
  const add = (bytes) => {
    chunks.push(bytes);
    length += bytes.length;
  };
  objects.forEach((body, i) => {
    offsets.push(length);
    if (typeof body === "string") {
      add(encoder.encode(i + 1 + " 0 obj\n" + body + "\nendobj\n"));
      return;
    }
    add(encoder.encode(i + 1 + " 0 obj\n" + body[0] + "\nstream\n"));
    add(body[1]);
    add(encoder.encode("\nendstream\nendobj\n"));
  });
  const xref = ["xref", "0 " + (objects.length + 1), "0000000000 65535 f "]
    .concat(offsets.map((offset) => String(offset).padStart(10, "0") + " 00000 n "));
  add(encoder.encode(xref.join("\n") + "\ntrailer\n<< /Size " + (objects.length + 1) + " /Root 1 0 R /Info 6 0 R >>\n"
    + "startxref\n" + length + "\n%%EOF\n"));
  const pdf = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    pdf.set(chunk, at);
    at += chunk.length;
  }
  return pdf;
}
