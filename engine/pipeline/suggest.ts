/**
 * "Did you mean" for misspelt names (params keys, node types). An edit distance with adjacent
 * transpositions (optimal string alignment) over names normalised for case and "-" versus "_"; a dozen
 * lines, so no dependency for it.
 */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

const normal = (name: string) => name.toLowerCase().replace(/_/g, '-');

/** The candidate closest to `name`, when it is close enough to be the likely intent (else undefined). */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(normal(name), normal(candidate));
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // A third of the name, at least 2 edits: "seperator" -> "separator", "json_pick" -> "json-pick", not "x" -> "y".
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) && bestDistance < name.length ? best : undefined;
}

/** ' Did you mean "x"?' or ''. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const match = closest(name, candidates);
  return match ? ` Did you mean "${match}"?` : '';
}
