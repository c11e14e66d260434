/**
 * Cuts an image into square tiles for vision encoders with a fixed input size: either the grid that
 * best fits the image's shape (dynamic resolution, see grid.ts) or a fixed rows x cols grid. The image is
 * decoded and resized once; tiles are cut from that one raw buffer.
 */
import type { OutputInfo, Sharp } from 'sharp';
import { loadSharp } from './sharp.ts';
import { chooseGrid, type Grid } from './grid.ts';
import { asBuffer, decodeFailure, inspectImage } from './image.ts';

export { candidateGrids, chooseGrid, type Grid, type GridOptions } from './grid.ts';

export type TileOptions = {
  tileSize: number;
  /** Add a tileSize x tileSize view of the whole image (only when there is more than one tile, as InternVL does). */
  thumbnail?: boolean;
  format?: 'png' | 'jpeg';
} & ({ mode: 'dynamic'; minTiles: number; maxTiles: number } | { mode: 'fixed'; rows: number; cols: number });

export interface TileGrid extends Grid {
  tileSize: number;
  /** The source image's size (EXIF orientation applied). */
  width: number;
  height: number;
  thumbnail: boolean;
}

export interface Tile {
  row: number;
  col: number;
  data: Buffer;
}

export interface TiledImage {
  grid: TileGrid;
  /** Row-major: row 0 left to right, then row 1, ... */
  tiles: Tile[];
  thumbnail?: Buffer;
}

/** The grid an image of this size gets under these options (pure; no pixels touched). */
export function planGrid(width: number, height: number, options: TileOptions): Grid {
  if (options.mode === 'fixed') {
    const { rows, cols } = options;
    if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 1 && cols >= 1)) {
      throw new RangeError(`A fixed grid needs integer rows and cols >= 1, got ${rows} x ${cols}.`);
    }
    return { rows, cols };
  }
  return chooseGrid(width, height, options);
}

/** Resizes the image to cols*tileSize x rows*tileSize (stretching slightly to the grid's shape) and cuts it. */
export async function tileImage(input: Uint8Array, options: TileOptions): Promise<TiledImage> {
  const sharp = await loadSharp();
  const bytes = asBuffer(input);
  const { tileSize } = options;
  if (!(Number.isInteger(tileSize) && tileSize >= 1)) throw new RangeError(`tileSize must be a positive integer, got ${tileSize}.`);
  const info = await inspectImage(bytes);
  const { rows, cols } = planGrid(info.width, info.height, options);
  const format = options.format ?? 'png';

  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(bytes, { autoOrient: true })
      .resize(cols * tileSize, rows * tileSize, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw decodeFailure(info.mime, err);
  }
  const rawInput = { raw: { width: raw.info.width, height: raw.info.height, channels: raw.info.channels } };
  const cells = Array.from({ length: rows * cols }, (_, i) => ({ row: Math.floor(i / cols), col: i % cols }));
  const tiles = await Promise.all(
    cells.map(async ({ row, col }) => {
      const tile = sharp(raw.data, rawInput).extract({ left: col * tileSize, top: row * tileSize, width: tileSize, height: tileSize });
      return { row, col, data: await encode(tile, format) };
    }),
  );
  const withThumbnail = (options.thumbnail ?? true) && tiles.length > 1;
  const thumbnail = withThumbnail
    ? await encode(sharp(raw.data, rawInput).resize(tileSize, tileSize, { fit: 'fill' }), format)
    : undefined;
  return {
    grid: { rows, cols, tileSize, width: info.width, height: info.height, thumbnail: withThumbnail },
    tiles,
    ...(thumbnail ? { thumbnail } : {}),
  };
}

function encode(image: Sharp, format: 'png' | 'jpeg'): Promise<Buffer> {
  return format === 'png' ? image.png().toBuffer() : image.flatten({ background: '#ffffff' }).jpeg({ quality: 90 }).toBuffer();
}
