/** Grid choice for dynamic-resolution tiling: pure, no pixels. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candidateGrids, chooseGrid } from '../../engine/media/grid.ts';
import { planGrid } from '../../engine/media/tiling.ts';

const opts = { tileSize: 448, minTiles: 1, maxTiles: 12 };

test('candidates: every rows x cols within [minTiles, maxTiles], fewest tiles first', () => {
  const grids = candidateGrids(1, 6);
  // rows=1: 6 grids, rows=2: 3, rows=3: 2, rows=4..6: 1 each.
  assert.equal(grids.length, 14);
  const counts = grids.map((g) => g.rows * g.cols);
  assert.deepEqual(counts, [...counts].sort((a, b) => a - b));
  assert.ok(grids.every((g) => g.rows * g.cols <= 6));
  assert.ok(candidateGrids(3, 4).every((g) => g.rows * g.cols >= 3 && g.rows * g.cols <= 4));
});

test('the grid follows the aspect ratio (cols/rows ~ width/height)', () => {
  assert.deepEqual(chooseGrid(896, 448, opts), { rows: 1, cols: 2 });
  assert.deepEqual(chooseGrid(448, 1344, opts), { rows: 3, cols: 1 });
  assert.deepEqual(chooseGrid(1500, 1000, { ...opts, maxTiles: 6 }), { rows: 2, cols: 3 });
  // 8:1 banner: 1 x 8 matches exactly.
  assert.deepEqual(chooseGrid(4000, 500, opts), { rows: 1, cols: 8 });
  // Aspect 1.4: 3x4 (1.333) beats 2x3 (1.5) and 1x1.
  assert.deepEqual(chooseGrid(1400, 1000, opts), { rows: 3, cols: 4 });
});

test('the seed article\'s example ranges: max 6 patches, extreme shapes capped by the budget', () => {
  const six = { tileSize: 448, minTiles: 1, maxTiles: 6 };
  assert.deepEqual(chooseGrid(10000, 100, six), { rows: 1, cols: 6 });
  assert.deepEqual(chooseGrid(100, 10000, six), { rows: 6, cols: 1 });
});

test('equal ratios: a larger grid only when the image has more than half its pixels', () => {
  // Square images: 1x1, 2x2 and 3x3 tie on ratio.
  assert.deepEqual(chooseGrid(448, 448, opts), { rows: 1, cols: 1 });
  assert.deepEqual(chooseGrid(600, 600, opts), { rows: 1, cols: 1 }); // 360000 < 0.5 * 448^2 * 4
  assert.deepEqual(chooseGrid(700, 700, opts), { rows: 2, cols: 2 }); // 490000 > 401408
  assert.deepEqual(chooseGrid(1000, 1000, opts), { rows: 3, cols: 3 }); // 1e6 > 903168
  // 2:1: 1x2 versus 2x4.
  assert.deepEqual(chooseGrid(1000, 500, opts), { rows: 1, cols: 2 });
  assert.deepEqual(chooseGrid(1800, 900, opts), { rows: 2, cols: 4 });
});

test('minTiles and maxTiles bound the grid', () => {
  assert.deepEqual(chooseGrid(300, 300, { ...opts, minTiles: 2 }), { rows: 2, cols: 2 });
  assert.deepEqual(chooseGrid(5000, 3000, { ...opts, maxTiles: 1 }), { rows: 1, cols: 1 });
  assert.throws(() => chooseGrid(100, 100, { ...opts, minTiles: 5, maxTiles: 4 }), RangeError);
  assert.throws(() => chooseGrid(0, 100, opts), RangeError);
});

test('fixed mode uses the given grid whatever the image', () => {
  assert.deepEqual(planGrid(4000, 500, { mode: 'fixed', rows: 2, cols: 2, tileSize: 448 }), { rows: 2, cols: 2 });
  assert.throws(() => planGrid(10, 10, { mode: 'fixed', rows: 0, cols: 2, tileSize: 448 }), RangeError);
});
