/**
 * Images for providers: inspect what the bytes really are, then convert and shrink them to what a
 * provider accepts (formats, pixel sizes, bytes). An image that already fits is passed through
 * untouched, so nothing is recompressed without need.
 */
import { loadSharp } from './sharp.ts';
import { mediaError, reason } from './errors.ts';
import { mediaKindAccepts } from '../blob/media-kind.ts';
import { sniffBuffer } from '../blob/sniff.ts';

export type { ImageLimits, ProviderImageFormat } from '../providers/image-limits.ts';
export { ANTHROPIC_IMAGE_LIMITS, OPENAI_HIGH_DETAIL_LIMITS, OPENAI_LOW_DETAIL_LIMITS } from '../providers/image-limits.ts';
import type { ImageLimits, ProviderImageFormat } from '../providers/image-limits.ts';

export interface ImageInfo {
  /** sharp's decoder name: jpeg, png, webp, gif, tiff, heif, ... */
  format: string;
  /** The sniffed media type. */
  mime: string;
  /** Display size: EXIF orientation applied. */
  width: number;
  height: number;
  bytes: number;
  hasAlpha: boolean;
  /** More than one for animated GIF/WebP and multi-page TIFF. */
  frames: number;
  /** An EXIF orientation other than upright: the stored pixels must be rotated for display. */
  rotated: boolean;
}

export interface PreparedImage {
  data: Buffer;
  mime: string;
  format: ProviderImageFormat;
  width: number;
  height: number;
  /** False when the original bytes already fitted and were passed through. */
  changed: boolean;
  source: ImageInfo;
}

/** file-type extensions of the image formats this build of sharp (libvips) decodes. */
const DECODABLE = new Set(['jpg', 'png', 'apng', 'webp', 'gif', 'tif', 'avif', 'heic']);

/** Reads an image's format and size from its header; throws MEDIA_UNSUPPORTED / MEDIA_CORRUPT. */
export async function inspectImage(input: Uint8Array): Promise<ImageInfo> {
  const sharp = await loadSharp();
  const bytes = asBuffer(input);
  const sniffed = await sniffBuffer(bytes);
  if (!sniffed) {
    throw mediaError('MEDIA_UNSUPPORTED', 'The data is not an image in any recognised format (PNG, JPEG, WebP, GIF, TIFF, AVIF).');
  }
  if (!mediaKindAccepts('image', sniffed.mime)) {
    throw mediaError('MEDIA_UNSUPPORTED', `Expected an image but the data is ${sniffed.mime}.`, { mime: sniffed.mime });
  }
  if (!DECODABLE.has(sniffed.ext)) {
    throw mediaError('MEDIA_UNSUPPORTED', `${sniffed.mime} images cannot be decoded here; convert the image to PNG or JPEG.`, {
      mime: sniffed.mime,
    });
  }
  try {
    const meta = await sharp(bytes).metadata();
    return {
      format: meta.format,
      mime: sniffed.mime,
      width: meta.autoOrient.width,
      height: meta.autoOrient.height,
      bytes: bytes.length,
      hasAlpha: meta.hasAlpha,
      frames: meta.pages ?? 1,
      rotated: (meta.orientation ?? 1) !== 1,
    };
  } catch (err) {
    throw decodeFailure(sniffed.mime, err);
  }
}

/** Maps a sharp failure on bytes whose header looked right to the error the user should see. */
export function decodeFailure(mime: string, err: unknown): Error {
  const why = reason(err);
  if (/pixel limit/i.test(why)) {
    return mediaError('MEDIA_TOO_LARGE', `The ${mime} image has too many pixels to process (${why}).`, { mime });
  }
  // Prebuilt libvips reads AVIF but not HEVC-coded HEIC (patent-encumbered codec).
  if (mime === 'image/heic' || mime === 'image/heif') {
    return mediaError('MEDIA_UNSUPPORTED', `HEIC images cannot be decoded by this build (${why}); convert the photo to JPEG.`, { mime });
  }
  return mediaError('MEDIA_CORRUPT', `The ${mime} image is corrupt or truncated and cannot be decoded (${why}).`, { mime });
}

/** The size an image is scaled down to (never up) to satisfy the pixel limits; aspect ratio kept. */
export function fitWithin(width: number, height: number, limits: Pick<ImageLimits, 'maxSide' | 'maxShortSide' | 'maxPixels'>) {
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  let scale = 1;
  if (limits.maxSide) scale = Math.min(scale, limits.maxSide / long);
  if (limits.maxShortSide) scale = Math.min(scale, limits.maxShortSide / short);
  if (limits.maxPixels) scale = Math.min(scale, Math.sqrt(limits.maxPixels / (width * height)));
  if (scale >= 1) return { width, height };
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * Converts and resizes an image to a provider's limits. Unsupported formats (TIFF, AVIF, HEIC,
 * animated GIF/WebP, ...) become PNG (when there is transparency or the source was lossless) or JPEG.
 * If the bytes are still over maxBytes, JPEG quality and then the size are stepped down.
 */
export async function prepareImageForProvider(input: Uint8Array, limits: ImageLimits): Promise<PreparedImage> {
  const sharp = await loadSharp();
  const bytes = asBuffer(input);
  const source = await inspectImage(bytes);
  const fitted = fitWithin(source.width, source.height, limits);
  const sourceFormat = providerFormat(source.format);
  const passThrough =
    sourceFormat !== undefined &&
    limits.formats.includes(sourceFormat) &&
    source.frames === 1 &&
    // Not every provider honours EXIF orientation; re-encoding applies it to the pixels.
    !source.rotated &&
    fitted.width === source.width &&
    fitted.height === source.height &&
    (limits.maxBytes === undefined || bytes.length <= limits.maxBytes);
  if (passThrough) {
    // The header alone says nothing about the rest: decode once so a truncated file fails here, clearly,
    // and not as a provider's 400. A tiny output keeps memory flat (JPEG even decodes at reduced scale).
    await sharp(bytes).resize(16, 16, { fit: 'fill' }).raw().toBuffer().catch((err: unknown) => {
      throw decodeFailure(source.mime, err);
    });
    return { data: bytes, mime: source.mime, format: sourceFormat, ...fitted, changed: false, source };
  }

  let format = outputFormat(source, limits);
  let { width, height } = fitted;
  let quality = 85;
  // Each step trades a little fidelity for bytes: PNG to JPEG, lower quality, then up to ten 0.8x size steps.
  for (let step = 0; step < 12; step++) {
    const data = await encode(bytes, source.mime, format, width, height, quality);
    if (limits.maxBytes === undefined || data.length <= limits.maxBytes) {
      return { data, mime: `image/${format}`, format, width, height, changed: true, source };
    }
    if (format === 'png' && limits.formats.includes('jpeg')) format = 'jpeg';
    else if (format === 'jpeg' && quality > 65) quality = 65;
    else {
      width = Math.max(1, Math.round(width * 0.8));
      height = Math.max(1, Math.round(height * 0.8));
    }
  }
  throw mediaError('MEDIA_TOO_LARGE', `The image cannot be made smaller than ${limits.maxBytes} bytes.`, { maxBytes: limits.maxBytes });
}

/** A Buffer view of the bytes, without copying. */
export function asBuffer(input: Uint8Array): Buffer {
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

function providerFormat(sharpFormat: string): ProviderImageFormat | undefined {
  return (['jpeg', 'png', 'webp', 'gif'] as const).find((f) => f === sharpFormat);
}

function outputFormat(source: ImageInfo, limits: ImageLimits): 'png' | 'jpeg' {
  const png = limits.formats.includes('png');
  const jpeg = limits.formats.includes('jpeg');
  if (!png && !jpeg) throw new Error('Image limits must accept png or jpeg so that images can be converted.');
  // JPEG stays JPEG; transparency and lossless sources (screenshots, scans) keep PNG's sharp edges.
  if (jpeg && (source.format === 'jpeg' || !png)) return 'jpeg';
  if (png && (source.hasAlpha || ['png', 'gif', 'tiff', 'webp'].includes(source.format))) return 'png';
  return jpeg ? 'jpeg' : 'png';
}

async function encode(bytes: Buffer, mime: string, format: 'png' | 'jpeg', width: number, height: number, quality: number) {
  const sharp = await loadSharp();
  try {
    const image = sharp(bytes, { autoOrient: true }).resize(width, height, { fit: 'fill' });
    if (format === 'png') return await image.png().toBuffer();
    // JPEG has no alpha: composite on white, which is how most viewers show transparency.
    return await image.flatten({ background: '#ffffff' }).jpeg({ quality }).toBuffer();
  } catch (err) {
    throw decodeFailure(mime, err);
  }
}
