// The one-page PDF around a JPEG (js/pdf-image.js): its cross-reference table points at its objects.
import assert from "node:assert/strict";
import { test } from "node:test";

import { A4_LANDSCAPE, fitOnPage, jpegPdf } from "../js/pdf-image.js";

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0, 0xff, 0xd9]); // only carried, never decoded

test("the image is fitted inside the margins and centred", () => {
  assert.deepEqual(fitOnPage(200, 100, [420, 300], 10), [10, 50, 400, 200]);
  assert.deepEqual(fitOnPage(100, 100, [420, 300], 10), [70, 10, 280, 280]);
});

test("a PDF of one page whose xref offsets each land on their object, the JPEG carried byte for byte", () => {
  const pdf = jpegPdf(JPEG, { width: 1600, height: 1000, title: "网格地图 Map", created: new Date("2025-03-01T08:00:00Z") });
  const text = new TextDecoder("latin1").decode(pdf);
  assert.ok(text.startsWith("%PDF-1.4\n"));
  assert.ok(text.endsWith("%%EOF\n"));
  const startxref = Number(text.match(/startxref\n(\d+)\n%%EOF\n$/)[1]);
  assert.ok(text.startsWith("xref\n0 7\n", startxref));
  const entries = text.slice(startxref).split("\n").slice(3, 9);
  entries.forEach((entry, i) => {
    assert.match(entry, /^\d{10} 00000 n $/);
    assert.ok(text.startsWith(i + 1 + " 0 obj\n", Number(entry.slice(0, 10))));
  });
  assert.match(text, /\/MediaBox \[0 0 841\.89 595\.28\]/);
  assert.match(text, /\/Width 1600 \/Height 1000 .*\/Filter \/DCTDecode \/Length 10 >>/);
  const start = text.indexOf("stream\n", text.indexOf("/DCTDecode")) + "stream\n".length;
  assert.deepEqual(pdf.slice(start, start + JPEG.length), JPEG);
  assert.match(text, /\/Title <FEFF7F51683C573056FE0020004D00610070>/); // UTF-16BE
  assert.match(text, /\/CreationDate \(D:20250301080000Z\)/);
  assert.deepEqual(A4_LANDSCAPE, [841.89, 595.28]);
});
