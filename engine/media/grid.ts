/**
 * Grid choice for dynamic-resolution tiling (InternVL / LLaVA-NeXT style, as in the seed article):
 * a vision encoder sees fixed-size square tiles, so a large image is cut into the rows x cols grid
 * whose shape best matches the image, instead of being squashed into one tile.
 */

export interface Grid {
  rows: number;
  cols: number;
}

export interface GridOptions {
  /** Side of one square tile in pixels (448 for InternVL). */
  tileSize: number;
  minTiles: number;
  maxTiles: number;
}

/** Every grid with minTiles <= rows*cols <= maxTiles, fewest tiles first (the order the tie-break relies on). */
export function candidateGrids(minTiles: number, maxTiles: number): Grid[] {
  const grids: Grid[] = [];
  for (let rows = 1; rows <= maxTiles; rows++) {
    for (let cols = 1; rows * cols <= maxTiles; cols++) {
      if (rows * cols >= minTiles) grids.push({ rows, cols });
    }
  }
  return grids.sort((a, b) => a.rows * a.cols - b.rows * b.cols || a.rows - b.rows);
}

/**
 * The grid whose aspect ratio (cols/rows) is closest to the image's (width/height). When several
 * grids have the same ratio (1x1, 2x2, 3x3), the larger one wins only if the image has more than half
 * the pixels the larger grid would hold; a small image is not blown up into many tiles.
 */
export function chooseGrid(width: number, height: number, options: GridOptions): Grid {
  const { tileSize, minTiles, maxTiles } = options;
  if (!(width > 0 && height > 0)) throw new RangeError(`Image size must be positive, got ${width}x${height}.`);
  if (!(Number.isInteger(minTiles) && Number.isInteger(maxTiles) && minTiles >= 1 && minTiles <= maxTiles)) {
    throw new RangeError(`Need integers 1 <= minTiles <= maxTiles, got ${minTiles} and ${maxTiles}.`);
  }
  const aspect = width / height;
  const area = width * height;
  let best: Grid | undefined;
  let bestDiff = Infinity;
  for (const grid of candidateGrids(minTiles, maxTiles)) {
    const diff = Math.abs(aspect - grid.cols / grid.rows);
    if (diff < bestDiff) {
      bestDiff = diff;
      best = grid;
    } else if (diff === bestDiff && area > 0.5 * tileSize * tileSize * grid.rows * grid.cols) {
      best = grid;
    }
  }
  // candidateGrids is never empty for 1 <= minTiles <= maxTiles (rows = 1 covers every count).
  return best!;
}
