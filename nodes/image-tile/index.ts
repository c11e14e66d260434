import { z } from 'zod';
import { defineNode } from '../../engine/node-sdk/define-node.ts';
import { mediaError } from '../../engine/media/errors.ts';
import { tileImage, type TileOptions } from '../../engine/media/tiling.ts';

/** Larger images are refused before decoding: tiling needs the whole image in memory. */
const MAX_INPUT_BYTES = 100 * 1024 * 1024;
/** The whole resized grid is decoded at once (4 bytes per pixel): 64 MP is 256 MB at most. */
const MAX_GRID_PIXELS = 64 * 1024 * 1024;

const params = z
  .object({
    mode: z.enum(['dynamic', 'fixed']).default('dynamic').describe('dynamic: the grid that best fits the image shape; fixed: rows x cols.'),
    tileSize: z.number().int().min(32).max(2048).default(448).describe('Side of each square tile in pixels.'),
    minTiles: z.number().int().min(1).max(64).default(1).describe('dynamic: fewest tiles.'),
    maxTiles: z.number().int().min(1).max(64).default(12).describe('dynamic: most tiles.'),
    rows: z.number().int().min(1).max(16).optional().describe('fixed: grid rows.'),
    cols: z.number().int().min(1).max(16).optional().describe('fixed: grid columns.'),
    thumbnail: z.boolean().default(true).describe('Append a whole-image tile after the grid when there is more than one tile.'),
    format: z.enum(['png', 'jpeg']).default('png').describe('Encoding of the tiles.'),
  })
  .refine((p) => p.minTiles <= p.maxTiles, { message: 'minTiles must not exceed maxTiles', path: ['minTiles'] })
  .refine((p) => (p.mode === 'fixed' ? (p.rows ?? 1) * (p.cols ?? 1) : p.maxTiles) * p.tileSize ** 2 <= MAX_GRID_PIXELS, {
    message: `tiles x tileSize^2 must stay within ${MAX_GRID_PIXELS} pixels (the resized image is held in memory)`,
    path: ['tileSize'],
  })
  .refine((p) => p.mode !== 'fixed' || (p.rows !== undefined && p.cols !== undefined), {
    message: 'fixed mode needs rows and cols',
    path: ['rows'],
  });

/**
 * Dynamic-resolution tiling (InternVL style): cuts an image into square tiles for vision models with a
 * fixed input size, plus an optional thumbnail of the whole image, stored as blobs.
 */
export const imageTileNode = defineNode({
  type: 'image-tile',
  version: 1,
  title: 'Tile image',
  category: 'Image',
  description:
    'Cuts an image into square tiles: the rows x cols grid whose shape best matches the image (dynamic) or a fixed grid. ' +
    'Tiles come row by row, then the thumbnail when enabled.',
  params,
  inputs: { image: { kind: 'image', description: 'The image to tile.' } },
  outputs: {
    tiles: { kind: 'image[]', description: 'Tiles row by row, then the whole-image thumbnail (if any).' },
    grid: { kind: 'json', description: '{ rows, cols, tileSize, width, height, thumbnail }' },
  },
  execution: { startToCloseTimeout: '2m' },
  run: async (ctx, inputs, p) => {
    const stat = await ctx.blobs.stat(inputs.image);
    if (stat && stat.size > MAX_INPUT_BYTES) {
      throw mediaError('MEDIA_TOO_LARGE', `The image is ${stat.size} bytes; image-tile accepts up to ${MAX_INPUT_BYTES}.`);
    }
    const bytes = await ctx.blobs.readAll(inputs.image);
    const options: TileOptions =
      p.mode === 'fixed'
        ? { mode: 'fixed', rows: p.rows!, cols: p.cols!, tileSize: p.tileSize, thumbnail: p.thumbnail, format: p.format }
        : { mode: 'dynamic', minTiles: p.minTiles, maxTiles: p.maxTiles, tileSize: p.tileSize, thumbnail: p.thumbnail, format: p.format };
    const tiled = await tileImage(bytes, options);
    ctx.progress(0.5, `${tiled.grid.rows}x${tiled.grid.cols} grid`);

    const base = inputs.image.name?.replace(/\.[^.]*$/, '') ?? 'tile';
    const parts = [
      ...tiled.tiles.map((t) => ({ data: t.data, name: `${base}-r${t.row}c${t.col}.${p.format}` })),
      ...(tiled.thumbnail ? [{ data: tiled.thumbnail, name: `${base}-thumbnail.${p.format}` }] : []),
    ];
    const tiles = [];
    for (const [i, part] of parts.entries()) {
      ctx.signal.throwIfAborted();
      tiles.push(await ctx.blobs.put(part.data, { name: part.name }));
      ctx.progress(0.5 + (0.5 * (i + 1)) / parts.length);
    }
    return { tiles, grid: tiled.grid };
  },
});
