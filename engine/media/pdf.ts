/**
 * PDF pages to PNG with MuPDF (WASM, no system dependency). Pages are rendered one at a time by an
 * async generator and each page's native memory is freed before the next, so a 500-page document
 * needs no more memory than its largest page.
 */
import type * as Mupdf from 'mupdf';
import { mediaError, reason } from './errors.ts';
import { sniffBuffer } from '../blob/sniff.ts';

export interface PdfRenderOptions {
  /** Dots per inch (PDF user space is 72 per inch). Default 150: legible for OCR and vision models. */
  dpi?: number;
  /** Zero-based page indexes to render, in this order; default all. */
  pages?: number[];
  /** A page larger than this many pixels at the requested DPI is rendered at a lower DPI instead. */
  maxPixels?: number;
}

export interface RenderedPage {
  /** Zero-based page index. */
  index: number;
  png: Buffer;
  width: number;
  height: number;
  /** The DPI actually used (lower than requested when maxPixels applied). */
  dpi: number;
}

const DEFAULT_DPI = 150;
const DEFAULT_MAX_PIXELS = 40_000_000;

/** mupdf is an ES module that instantiates a large WASM binary: load it only when a PDF shows up. */
let mupdfModule: Promise<typeof Mupdf> | undefined;
function loadMupdf(): Promise<typeof Mupdf> {
  mupdfModule ??= import('mupdf').then((m) => {
    // MuPDF reports repairs of damaged files on the console; they are expected and not ours to print.
    m.setLog(null);
    return m;
  });
  return mupdfModule;
}

/** Opens a PDF; throws MEDIA_UNSUPPORTED for non-PDF data or encrypted files, MEDIA_CORRUPT when unreadable. */
async function openPdf(bytes: Uint8Array): Promise<Mupdf.Document> {
  const sniffed = await sniffBuffer(bytes);
  if (sniffed?.mime !== 'application/pdf') {
    throw mediaError('MEDIA_UNSUPPORTED', `Expected a PDF but the data is ${sniffed?.mime ?? 'not a recognised format'}.`);
  }
  const mupdf = await loadMupdf();
  let doc: Mupdf.Document;
  let pages: number;
  try {
    doc = mupdf.Document.openDocument(bytes, 'application/pdf');
    pages = doc.countPages();
  } catch (err) {
    throw mediaError('MEDIA_CORRUPT', `The PDF is corrupt and cannot be opened (${reason(err)}).`);
  }
  if (doc.needsPassword()) {
    doc.destroy();
    throw mediaError('MEDIA_UNSUPPORTED', 'The PDF is password-protected; remove the password and try again.');
  }
  if (pages < 1) {
    doc.destroy();
    throw mediaError('MEDIA_CORRUPT', 'The PDF has no readable pages.');
  }
  return doc;
}

export async function pdfPageCount(bytes: Uint8Array): Promise<number> {
  const doc = await openPdf(bytes);
  try {
    return doc.countPages();
  } finally {
    doc.destroy();
  }
}

/** Renders pages to PNG one by one; stop iterating early and the document is released. */
export async function* renderPdfPages(bytes: Uint8Array, options: PdfRenderOptions = {}): AsyncGenerator<RenderedPage> {
  const dpi = options.dpi ?? DEFAULT_DPI;
  if (!(dpi > 0 && dpi <= 1200)) throw new RangeError(`dpi must be in (0, 1200], got ${dpi}.`);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const mupdf = await loadMupdf();
  const doc = await openPdf(bytes);
  try {
    const count = doc.countPages();
    const indexes = options.pages ?? Array.from({ length: count }, (_, i) => i);
    for (const index of indexes) {
      if (!(Number.isInteger(index) && index >= 0 && index < count)) {
        throw new RangeError(`Page ${index} does not exist; the PDF has pages 0..${count - 1}.`);
      }
      yield renderPage(mupdf, doc, index, dpi, maxPixels);
    }
  } finally {
    doc.destroy();
  }
}

function renderPage(mupdf: typeof Mupdf, doc: Mupdf.Document, index: number, dpi: number, maxPixels: number): RenderedPage {
  let page: Mupdf.Page | undefined;
  let pixmap: Mupdf.Pixmap | undefined;
  try {
    page = doc.loadPage(index);
    const [x0, y0, x1, y1] = page.getBounds();
    const points = Math.max(1, (x1 - x0) * (y1 - y0));
    const used = Math.min(dpi, 72 * Math.sqrt(maxPixels / points));
    const scale = used / 72;
    // No alpha: pages are paper, and an opaque white background is what OCR and vision models expect.
    pixmap = page.toPixmap(mupdf.Matrix.scale(scale, scale), mupdf.ColorSpace.DeviceRGB, false);
    const png = Buffer.from(pixmap.asPNG());
    return { index, png, width: pixmap.getWidth(), height: pixmap.getHeight(), dpi: used };
  } catch (err) {
    throw mediaError('MEDIA_CORRUPT', `Page ${index + 1} of the PDF cannot be rendered (${reason(err)}).`, { page: index });
  } finally {
    pixmap?.destroy();
    page?.destroy();
  }
}
