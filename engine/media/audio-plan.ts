/**
 * Where to cut long audio (pure, no ffmpeg). Transcription APIs cap uploads by bytes (OpenAI: 25 MB)
 * and some models by duration; cutting mid-word garbles the words on both sides, so each cut goes into
 * the silence nearest the limit when there is one close enough, and only otherwise at the limit itself.
 */

export interface Silence {
  start: number;
  end: number;
}

export interface PlannedChunk {
  start: number;
  end: number;
  /** How the end was chosen: inside a silence, at the limit (no silence near it), or the end of the audio. */
  cut: 'silence' | 'hard' | 'end';
}

export interface ChunkPlanOptions {
  durationSec: number;
  /** Detected silences, in seconds (any order). */
  silences: readonly Silence[];
  maxChunkSec: number;
  /** With bytesPerSecond (of the format chunks are exported in), turns a byte limit into a duration limit. */
  maxBytes?: number;
  bytesPerSecond?: number;
  /** Container bytes beyond the audio itself (headers, tags); default 64 KiB. */
  overheadBytes?: number;
  /** How far before each limit a silence may be to be used; default a quarter of the limit, at most 30 s. */
  windowSec?: number;
}

/** The longest chunk allowed: the duration limit or what the byte limit leaves, whichever is shorter. */
export function chunkLimitSec(options: Pick<ChunkPlanOptions, 'maxChunkSec' | 'maxBytes' | 'bytesPerSecond' | 'overheadBytes'>): number {
  let limit = options.maxChunkSec;
  if (options.maxBytes !== undefined && options.bytesPerSecond !== undefined) {
    limit = Math.min(limit, (options.maxBytes - (options.overheadBytes ?? 64 * 1024)) / options.bytesPerSecond);
  }
  if (!(limit >= 1)) throw new RangeError(`The chunk limits leave ${limit} s per chunk; allow at least 1 s.`);
  return limit;
}

export function planChunks(options: ChunkPlanOptions): PlannedChunk[] {
  const duration = options.durationSec;
  if (!(duration > 0)) throw new RangeError(`Audio duration must be positive, got ${duration}.`);
  const limit = chunkLimitSec(options);
  const window = Math.min(options.windowSec ?? Math.min(30, limit / 4), limit / 2);
  const silences = [...options.silences].sort((a, b) => a.start - b.start);

  const chunks: PlannedChunk[] = [];
  let start = 0;
  while (duration - start > limit) {
    const target = start + limit;
    const cut = silenceCut(silences, target - window, target);
    // Millisecond cuts keep offsets readable; flooring keeps the chunk within its limit.
    const end = Math.floor((cut ?? target) * 1000) / 1000;
    chunks.push({ start, end, cut: cut === undefined ? 'hard' : 'silence' });
    start = end;
  }
  chunks.push({ start, end: duration, cut: 'end' });
  return chunks;
}

/** The cut point in [from, to] nearest `to` that lies in a silence: the silence's middle, clamped to the window. */
function silenceCut(silences: readonly Silence[], from: number, to: number): number | undefined {
  let best: number | undefined;
  for (const s of silences) {
    const lo = Math.max(s.start, from);
    const hi = Math.min(s.end, to);
    if (lo > hi) continue;
    const cut = Math.min(Math.max((s.start + s.end) / 2, lo), hi);
    if (best === undefined || cut > best) best = cut;
  }
  return best;
}
