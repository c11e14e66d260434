/** Tiling real (generated) images, and the image-tile node against a real blob store. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';
import type { BlobRef } from '../../engine/blob/ref.ts';
import type { NodeContext } from '../../engine/node-sdk/define-node.ts';
import { tileImage } from '../../engine/media/tiling.ts';
import { imageTileNode } from '../../nodes/image-tile/index.ts';
import { meanColor, rejectsWithCode, solid } from './helpers.ts';

/** Left half red, right half blue: tiles must come from the right side of the source. */
async function halves(width: number, height: number): Promise<Buffer> {
  const right = await solid(width / 2, height, '#0000ff').png().toBuffer();
  return solid(width, height, '#ff0000').composite([{ input: right, left: width / 2, top: 0 }]).png().toBuffer();
}

test('dynamic: a 2:1 image becomes 1x2 tiles cut from the right places, plus a thumbnail', async () => {
  const tiled = await tileImage(await halves(1000, 500), { mode: 'dynamic', minTiles: 1, maxTiles: 12, tileSize: 448 });
  assert.deepEqual(tiled.grid, { rows: 1, cols: 2, tileSize: 448, width: 1000, height: 500, thumbnail: true });
  assert.equal(tiled.tiles.length, 2);
  for (const tile of tiled.tiles) {
    const meta = await sharp(tile.data).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 448, 448]);
  }
  assert.deepEqual(await meanColor(tiled.tiles[0]!.data), [255, 0, 0]);
  assert.deepEqual(await meanColor(tiled.tiles[1]!.data), [0, 0, 255]);
  const thumb = await meanColor(tiled.thumbnail!);
  assert.ok(Math.abs(thumb[0] - 128) < 3 && Math.abs(thumb[2] - 128) < 3, `thumbnail mixes both halves: ${thumb}`);
});

test('dynamic: tile count and sizes for a 3:2 photo with at most 6 tiles', async () => {
  const tiled = await tileImage(await solid(1500, 1000, '#808080').jpeg().toBuffer(), {
    mode: 'dynamic',
    minTiles: 1,
    maxTiles: 6,
    tileSize: 224,
    format: 'jpeg',
  });
  assert.deepEqual([tiled.grid.rows, tiled.grid.cols], [2, 3]);
  assert.deepEqual(
    tiled.tiles.map((t) => [t.row, t.col]),
    [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]],
  );
  for (const tile of [...tiled.tiles.map((t) => t.data), tiled.thumbnail!]) {
    const meta = await sharp(tile).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 224, 224]);
  }
});

test('a single tile gets no thumbnail; fixed mode ignores the shape; EXIF rotation is applied', async () => {
  const one = await tileImage(await solid(300, 300, '#00ff00').png().toBuffer(), { mode: 'dynamic', minTiles: 1, maxTiles: 12, tileSize: 448 });
  assert.equal(one.tiles.length, 1);
  assert.equal(one.thumbnail, undefined);
  assert.equal(one.grid.thumbnail, false);

  // Stored 200x100 with orientation 6: displayed 100x200, so a 1:2 (tall) grid.
  const rotated = await solid(200, 100, '#123456').jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const tall = await tileImage(rotated, { mode: 'dynamic', minTiles: 1, maxTiles: 2, tileSize: 64, thumbnail: false });
  assert.deepEqual([tall.grid.width, tall.grid.height, tall.grid.rows, tall.grid.cols], [100, 200, 2, 1]);

  const fixed = await tileImage(await halves(1000, 500), { mode: 'fixed', rows: 3, cols: 2, tileSize: 128, thumbnail: false });
  assert.equal(fixed.tiles.length, 6);
  assert.equal(fixed.thumbnail, undefined);
  assert.deepEqual(await meanColor(fixed.tiles[4]!.data), [255, 0, 0]);
  assert.deepEqual(await meanColor(fixed.tiles[5]!.data), [0, 0, 255]);
});

test('corrupt and non-image input', async () => {
  const png = await solid(800, 600, '#ff00ff').png().toBuffer();
  const options = { mode: 'dynamic', minTiles: 1, maxTiles: 12, tileSize: 448 } as const;
  await rejectsWithCode(tileImage(png.subarray(0, png.length - 40), options), 'MEDIA_CORRUPT');
  await rejectsWithCode(tileImage(Buffer.from('%PDF-1.7\n%%EOF\n'), options), 'MEDIA_UNSUPPORTED');
});

// ---- the image-tile node -----------------------------------------------------------------------------

const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-tile-test-'));
after(() => rm(dir, { recursive: true, force: true }));
const blobs = new FsBlobStore(dir);
const progress: number[] = [];
const ctx = {
  runId: 'run-1',
  nodeId: 'tiles',
  attempt: 1,
  blobs,
  providers: {},
  signal: new AbortController().signal,
  progress: (f: number) => progress.push(f),
  heartbeat: () => undefined,
} as unknown as NodeContext;

test('image-tile node: stores each tile as a blob and reports the grid', async () => {
  const image = await blobs.put(await halves(1800, 900), { name: 'poster.png' });
  const params = imageTileNode.params.parse({});
  assert.deepEqual(params, { mode: 'dynamic', tileSize: 448, minTiles: 1, maxTiles: 12, thumbnail: true, format: 'png' });
  const out = (await imageTileNode.run(ctx, { image }, params)) as { tiles: BlobRef[]; grid: unknown };
  assert.deepEqual(out.grid, { rows: 2, cols: 4, tileSize: 448, width: 1800, height: 900, thumbnail: true });
  assert.equal(out.tiles.length, 9);
  assert.deepEqual(out.tiles.map((t) => t.mime), Array(9).fill('image/png'));
  assert.equal(out.tiles[0]!.name, 'poster-r0c0.png');
  assert.equal(out.tiles[8]!.name, 'poster-thumbnail.png');
  assert.deepEqual(await meanColor(await blobs.readAll(out.tiles[7]!)), [0, 0, 255]);
  assert.equal(progress.at(-1), 1);
});

test('image-tile node: params are checked (fixed needs rows and cols; minTiles <= maxTiles)', async () => {
  assert.equal(imageTileNode.params.safeParse({ mode: 'fixed', rows: 2 }).success, false);
  assert.equal(imageTileNode.params.safeParse({ minTiles: 4, maxTiles: 2 }).success, false);
  assert.equal(imageTileNode.params.safeParse({ maxTiles: 64, tileSize: 2048 }).success, false);
  const image = await blobs.put(await solid(640, 480, '#ffffff').png().toBuffer());
  const out = (await imageTileNode.run(ctx, { image }, imageTileNode.params.parse({ mode: 'fixed', rows: 1, cols: 2, format: 'jpeg', tileSize: 64 }))) as {
    tiles: BlobRef[];
  };
  assert.deepEqual(out.tiles.map((t) => t.mime), ['image/jpeg', 'image/jpeg', 'image/jpeg']);
  const bad = await blobs.put(Buffer.from('not an image at all'));
  await rejectsWithCode(imageTileNode.run(ctx, { image: bad }, imageTileNode.params.parse({})), 'MEDIA_UNSUPPORTED');
});
