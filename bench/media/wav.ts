/**
 * A large WAV file made by ffmpeg, streamed to disk (never in memory): CD-quality stereo, a 440 Hz tone
 * with a second of silence every 30 s, so the transcription node finds silences to cut at, as in speech.
 */
import { stat } from 'node:fs/promises';
import { defaultTools, runTool } from '../../engine/media/tools.ts';

const BYTES_PER_SECOND = 44_100 * 2 * 2;

/** Writes about `bytes` bytes of WAV to `file` unless a file of that size (within 1 %) is there; returns its size. */
export async function makeWav(file: string, bytes: number): Promise<number> {
  const existing = await stat(file).catch(() => undefined);
  if (existing && Math.abs(existing.size - bytes) < bytes / 100) return existing.size;
  const seconds = Math.floor((bytes - 100) / BYTES_PER_SECOND);
  const args = [
    '-v', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-af', "volume=volume=0:enable='lt(mod(t,30),1)'",
    '-ac', '2', '-t', String(seconds), '-c:a', 'pcm_s16le', file,
  ];
  const result = await runTool(defaultTools().ffmpeg, args);
  if (result.code !== 0) throw new Error(`ffmpeg could not write ${file}: ${result.stderrTail}`);
  return (await stat(file)).size;
}
