/**
 * Joins the transcripts of audio chunks back into one: each chunk's segment times are relative to the
 * chunk, so they are shifted by the chunk's start offset in the original audio.
 */
import type { TranscriptSegment } from '../providers/types.ts';

export interface ChunkTranscript {
  /** Start of the chunk in the original audio, in seconds. */
  offset: number;
  text: string;
  segments?: readonly TranscriptSegment[];
}

export interface StitchedTranscript {
  text: string;
  segments: TranscriptSegment[];
}

/** Chunks are ordered by offset (ties keep their order); empty texts are skipped. */
export function stitchTranscripts(chunks: readonly ChunkTranscript[], separator = ' '): StitchedTranscript {
  const ordered = [...chunks].sort((a, b) => a.offset - b.offset);
  const text = ordered
    .map((c) => c.text.trim())
    .filter((t) => t.length > 0)
    .join(separator);
  const segments = ordered.flatMap((c) =>
    (c.segments ?? []).map((s) => ({ ...s, start: ms(s.start + c.offset), end: ms(s.end + c.offset) })),
  );
  return { text, segments };
}

/** Rounds to milliseconds so sums like 20.1 + 3.2 do not print as 23.300000000000001. */
function ms(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
