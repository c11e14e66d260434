/** The image-tile node with a real blob store: tiles and the thumbnail stored as PNG blobs. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { BlobRef } from '../../engine/blob/ref.ts';
import { imageTileNode } from '../../nodes/image-tile/index.ts';
import { nodeError, runNode, startNodeEnv, type NodeEnv } from '../support/node-harness.ts';
import { meanColor } from '../media/helpers.ts';

let env: NodeEnv;
before(async () => {
  env = await startNodeEnv();
});
after(() => env.close());

const QUADRANTS = { topLeft: [255, 0, 0], topRight: [0, 255, 0], bottomLeft: [0, 0, 255], bottomRight: [255, 255, 0] } as const;

/** 1600x900 with a differently coloured quadrant in each corner, to tell where a tile came from. */
async function quadrants(): Promise<Buffer> {
  const [w, h] = [800, 450];
  const block = (rgb: readonly number[]) => sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0]!, g: rgb[1]!, b: rgb[2]! } } }).png().toBuffer();
  return sharp({ create: { width: 1600, height: 900, channels: 3, background: '#000000' } })
    .composite([
      { input: await block(QUADRANTS.topLeft), left: 0, top: 0 },
      { input: await block(QUADRANTS.topRight), left: w, top: 0 },
      { input: await block(QUADRANTS.bottomLeft), left: 0, top: h },
      { input: await block(QUADRANTS.bottomRight), left: w, top: h },
    ])
    .png()
    .toBuffer();
}

const close = (a: number[], b: readonly number[]) => a.every((x, i) => Math.abs(x - b[i]!) <= 3);

test('a 1600x900 image: rows x cols tiles plus a thumbnail, each a 448x448 PNG blob, row by row', async () => {
  const image = await env.put(await quadrants(), 'ward.png');
  const ctx = env.context();
  const out = await runNode(imageTileNode, { image }, {}, ctx);
  const grid = out.grid as { rows: number; cols: number; tileSize: number; width: number; height: number; thumbnail: boolean };
  // 16:9 is closest to 2:1 among grids of at most 12 tiles; 1x2 and 2x4 tie and the image is big enough for 2x4.
  assert.deepEqual(grid, { rows: 2, cols: 4, tileSize: 448, width: 1600, height: 900, thumbnail: true });

  const tiles = out.tiles as BlobRef[];
  assert.equal(tiles.length, grid.rows * grid.cols + 1);
  const names = tiles.map((t) => t.name);
  assert.deepEqual(names, ['ward-r0c0.png', 'ward-r0c1.png', 'ward-r0c2.png', 'ward-r0c3.png', 'ward-r1c0.png', 'ward-r1c1.png', 'ward-r1c2.png', 'ward-r1c3.png', 'ward-thumbnail.png']);
  for (const tile of tiles) {
    assert.equal(tile.mime, 'image/png');
    assert.ok(await env.blobs.has(tile), `${tile.name} is stored`);
    const bytes = await env.blobs.readAll(tile);
    assert.equal(bytes.length, tile.size);
    const meta = await sharp(bytes).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 448, 448], tile.name);
  }
  // Corner tiles come from the matching corners of the source.
  const color = async (i: number) => meanColor(await env.blobs.readAll(tiles[i]!));
  assert.ok(close(await color(0), QUADRANTS.topLeft), 'r0c0 is top left');
  assert.ok(close(await color(3), QUADRANTS.topRight), 'r0c3 is top right');
  assert.ok(close(await color(4), QUADRANTS.bottomLeft), 'r1c0 is bottom left');
  assert.ok(close(await color(7), QUADRANTS.bottomRight), 'r1c3 is bottom right');
  const thumb = await color(8);
  assert.ok(thumb.every((c, i) => Math.abs(c - (QUADRANTS.topLeft[i]! + QUADRANTS.topRight[i]! + QUADRANTS.bottomLeft[i]! + QUADRANTS.bottomRight[i]!) / 4) < 8), `thumbnail is the whole image: ${thumb}`);
  assert.equal(ctx.progressReports.at(-1)!.fraction, 1);
});

test('one tile means no thumbnail; fixed grids and JPEG tiles', async () => {
  const image = await env.put(await quadrants());
  const single = await runNode(imageTileNode, { image }, { mode: 'fixed', rows: 1, cols: 1, tileSize: 224 }, env.context());
  assert.equal((single.tiles as BlobRef[]).length, 1);
  assert.equal((single.grid as { thumbnail: boolean }).thumbnail, false);

  const jpeg = await runNode(imageTileNode, { image }, { mode: 'fixed', rows: 3, cols: 2, tileSize: 100, format: 'jpeg', thumbnail: false }, env.context());
  const tiles = jpeg.tiles as BlobRef[];
  assert.equal(tiles.length, 6);
  for (const t of tiles) {
    assert.equal(t.mime, 'image/jpeg');
    const meta = await sharp(await env.blobs.readAll(t)).metadata();
    assert.deepEqual([meta.width, meta.height], [100, 100]);
  }
  assert.equal(tiles[0]!.name, 'tile-r0c0.jpeg', 'an unnamed image gets "tile" names');
});

test('params are checked like the worker does; a non-image is MEDIA_UNSUPPORTED', async () => {
  const image = await env.put(await quadrants());
  const bad = await nodeError(runNode(imageTileNode, { image }, { mode: 'fixed', rows: 2 }, env.context()));
  assert.equal(bad.code, 'PARAMS_INVALID');
  assert.match(bad.message, /fixed mode needs rows and cols/);

  const text = await env.put('hello');
  assert.equal((await nodeError(runNode(imageTileNode, { image: text }, {}, env.context()))).code, 'MEDIA_UNSUPPORTED');
});
