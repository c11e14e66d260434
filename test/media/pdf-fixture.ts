/** A small PDF built with mupdf itself, so the tests need no binary fixture. */
import * as mupdf from 'mupdf';

/** One page per entry: [width pt, height pt, text]. Black 28 pt Helvetica near the top left. */
export function makePdf(pages: [number, number, string][]): Uint8Array {
  const doc = new mupdf.PDFDocument();
  const font = doc.addSimpleFont(new mupdf.Font('Helvetica'));
  for (const [width, height, text] of pages) {
    const resources = doc.addObject({ Font: { F1: font } });
    const page = doc.addPage([0, 0, width, height], 0, resources, `BT /F1 28 Tf 40 ${height - 80} Td (${text}) Tj ET`);
    doc.insertPage(-1, page);
  }
  const bytes = doc.saveToBuffer('').asUint8Array().slice();
  doc.destroy();
  return bytes;
}
