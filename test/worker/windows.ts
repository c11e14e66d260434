/**
 * Counting requests per window from their arrival times: the most that fall in any half-open window
 * [t, t + intervalMs) (sliding, not aligned to the clock), which is what a provider's "N per interval"
 * limit means. Every window worth checking starts at an arrival.
 */
export function maxInAnyWindow(times: readonly number[], intervalMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start++) {
    while (end < sorted.length && sorted[end] < sorted[start] + intervalMs) end++;
    most = Math.max(most, end - start);
  }
  return most;
}

/** Most intervals [start, end] that overlap at one instant (an end at the same instant as a start does not overlap it). */
export function maxOverlap(intervals: readonly { start: number; end: number }[]): number {
  const points = intervals.flatMap((i) => [{ t: i.start, d: 1 }, { t: i.end, d: -1 }]).sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let most = 0;
  for (const p of points) most = Math.max(most, (open += p.d));
  return most;
}
