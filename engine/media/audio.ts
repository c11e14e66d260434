/**
 * Audio with ffprobe/ffmpeg: what a file is, where its silences are, and how to cut it into chunks a
 * transcription API accepts, each with its start offset so transcripts can be stitched back with
 * correct timestamps (planning: audio-plan.ts; stitching: transcript-stitch.ts).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { chunkLimitSec, planChunks, type PlannedChunk, type Silence } from './audio-plan.ts';
import { mediaError } from './errors.ts';
import { mediaKindAccepts } from '../blob/media-kind.ts';
import { sniffFile } from '../blob/sniff.ts';
import { makeTempDir } from './temp.ts';
import { defaultTools, runTool, type MediaTools } from './tools.ts';

export { chunkLimitSec, planChunks, type ChunkPlanOptions, type PlannedChunk, type Silence } from './audio-plan.ts';
export { stitchTranscripts, type ChunkTranscript, type StitchedTranscript } from './transcript-stitch.ts';

/** file-type extensions accepted as audio (mp4/webm only when they hold an audio stream). */
/** For messages: the formats people usually have; ffmpeg reads any audio the media-kind rule lets in. */
const AUDIO_FORMATS = 'wav, mp3, m4a, aac, ogg, opus, webm, flac, mka';

export interface AudioInfo {
  /** Container, from the bytes: wav, mp3, m4a, ogg, webm, flac, ... */
  format: string;
  mime: string;
  codec: string;
  durationSec: number;
  sampleRate: number;
  channels: number;
  bytes: number;
}

export interface ToolOptions {
  tools?: MediaTools;
  signal?: AbortSignal;
}

export async function probeAudio(file: string, options: ToolOptions = {}): Promise<AudioInfo> {
  const tools = options.tools ?? defaultTools();
  const sniffed = await sniffFile(file);
  if (!sniffed) throw mediaError('MEDIA_UNSUPPORTED', `The data is not audio in a recognised format (${AUDIO_FORMATS}).`);
  // The one media-kind rule (the upload endpoint and run inputs use it too): what passed there passes here.
  if (!mediaKindAccepts('audio', sniffed.mime)) {
    throw mediaError('MEDIA_UNSUPPORTED', `Expected audio but the data is ${sniffed.mime}.`, { mime: sniffed.mime });
  }
  const lines: string[] = [];
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-select_streams', 'a:0', file];
  const result = await runTool(tools.ffprobe, args, { signal: options.signal, onStdoutLine: (l) => lines.push(l) });
  if (result.code !== 0) throw corrupt(sniffed.mime, result.stderrTail);
  const probe = JSON.parse(lines.join('\n')) as FfprobeOutput;
  const stream = probe.streams?.[0];
  if (!stream) throw mediaError('MEDIA_UNSUPPORTED', `The ${sniffed.mime} file contains no audio stream.`, { mime: sniffed.mime });
  let durationSec = Number(probe.format?.duration ?? stream.duration);
  // Browser recordings (MediaRecorder webm) often carry no duration: decode to measure it.
  if (!(durationSec > 0)) durationSec = (await decodeAudio(file, [], tools, options.signal)).decodedSec;
  if (!(durationSec > 0)) throw corrupt(sniffed.mime, 'no decodable audio');
  return {
    format: sniffed.ext,
    mime: sniffed.mime,
    codec: stream.codec_name ?? 'unknown',
    durationSec,
    sampleRate: Number(stream.sample_rate ?? 0),
    channels: stream.channels ?? 0,
    bytes: (await stat(file)).size,
  };
}

interface FfprobeOutput {
  format?: { duration?: string };
  streams?: { codec_name?: string; sample_rate?: string; channels?: number; duration?: string }[];
}

export interface SilenceOptions extends ToolOptions {
  /** Level below which audio counts as silence; -35 dB suits speech with light background noise. */
  noiseDb?: number;
  /** Shortest pause that counts; 0.3 s catches sentence breaks but not gaps between words. */
  minSilenceSec?: number;
  /** Seconds decoded so far (for heartbeats). */
  onProgress?: (decodedSec: number) => void;
}

/** Decodes the whole file once with ffmpeg's silencedetect filter. */
export async function detectSilences(file: string, options: SilenceOptions = {}): Promise<{ silences: Silence[]; decodedSec: number }> {
  const tools = options.tools ?? defaultTools();
  const filter = `silencedetect=noise=${options.noiseDb ?? -35}dB:d=${options.minSilenceSec ?? 0.3}`;
  const silences: Silence[] = [];
  let open: number | undefined;
  const { decodedSec } = await decodeAudio(file, ['-af', filter], tools, options.signal, options.onProgress, (line) => {
    const start = /silence_start: (-?[\d.]+)/.exec(line);
    const end = /silence_end: ([\d.]+)/.exec(line);
    if (start) open = Math.max(0, Number(start[1]));
    if (end && open !== undefined) {
      silences.push({ start: open, end: Number(end[1]) });
      open = undefined;
    }
  });
  // A file that ends in silence reports a start without an end.
  if (open !== undefined && decodedSec > open) silences.push({ start: open, end: decodedSec });
  return { silences, decodedSec };
}

/** Runs ffmpeg over the first audio stream into the null muxer; returns how many seconds it decoded. */
async function decodeAudio(
  file: string,
  filterArgs: string[],
  tools: MediaTools,
  signal?: AbortSignal,
  onProgress?: (decodedSec: number) => void,
  onStderrLine?: (line: string) => void,
): Promise<{ decodedSec: number }> {
  let decodedSec = 0;
  const args = ['-hide_banner', '-nostdin', '-nostats', '-i', file, '-map', '0:a:0', ...filterArgs, '-f', 'null', '-progress', 'pipe:1', '-'];
  const result = await runTool(tools.ffmpeg, args, {
    signal,
    onStderrLine,
    onStdoutLine: (line) => {
      const m = /^out_time_us=(\d+)/.exec(line);
      if (m) {
        decodedSec = Number(m[1]) / 1e6;
        onProgress?.(decodedSec);
      }
    },
  });
  if (result.code !== 0) throw corrupt('audio', result.stderrTail);
  return { decodedSec };
}

/** Encodings for chunks: 16 kHz mono is what speech models resample to anyway. bytesPerSecond is an upper bound. */
export const CHUNK_FORMATS = {
  mp3: { ext: 'mp3', mime: 'audio/mpeg', codecArgs: ['-c:a', 'libmp3lame', '-b:a', '64k'], bytesPerSecond: 8_000 },
  flac: { ext: 'flac', mime: 'audio/flac', codecArgs: ['-c:a', 'flac'], bytesPerSecond: 32_000 },
  wav: { ext: 'wav', mime: 'audio/wav', codecArgs: ['-c:a', 'pcm_s16le'], bytesPerSecond: 32_000 },
} as const;
export type ChunkFormat = keyof typeof CHUNK_FORMATS;

export interface AudioChunk {
  index: number;
  path: string;
  mime: string;
  /** Start of the chunk in the original audio, in seconds: add it to the chunk's transcript timestamps. */
  offsetSec: number;
  durationSec: number;
  bytes: number;
  cut: PlannedChunk['cut'];
}

export interface ExportOptions extends ToolOptions {
  dir: string;
  format?: ChunkFormat;
  onProgress?: (done: number, total: number) => void;
}

/** Encodes each planned range to its own file (16 kHz mono). Input seeking keeps each export proportional to its length. */
export async function exportChunks(file: string, plan: readonly PlannedChunk[], options: ExportOptions): Promise<AudioChunk[]> {
  const tools = options.tools ?? defaultTools();
  const format = CHUNK_FORMATS[options.format ?? 'mp3'];
  const chunks: AudioChunk[] = [];
  for (const [index, range] of plan.entries()) {
    const out = path.join(options.dir, `chunk-${String(index).padStart(4, '0')}.${format.ext}`);
    // Microsecond rounding hides float noise (16.062999999999995) without moving any boundary.
    const duration = Math.round((range.end - range.start) * 1e6) / 1e6;
    const args = ['-v', 'error', '-nostdin', '-y', '-ss', range.start.toFixed(3), '-t', duration.toFixed(3), '-i', file];
    args.push('-map', '0:a:0', '-vn', '-ac', '1', '-ar', '16000', ...format.codecArgs, out);
    const result = await runTool(tools.ffmpeg, args, { signal: options.signal });
    if (result.code !== 0) throw corrupt('audio', result.stderrTail);
    const { size } = await stat(out);
    chunks.push({ index, path: out, mime: format.mime, offsetSec: range.start, durationSec: duration, bytes: size, cut: range.cut });
    options.onProgress?.(index + 1, plan.length);
  }
  return chunks;
}

export interface SplitOptions extends ToolOptions {
  /** Upload limit per chunk; default 25 MiB (OpenAI's transcription limit). */
  maxBytes?: number;
  /** Duration limit per chunk; default 10 minutes. */
  maxChunkSec?: number;
  format?: ChunkFormat;
  windowSec?: number;
  noiseDb?: number;
  minSilenceSec?: number;
  /** Called while decoding and exporting (0..1), e.g. to heartbeat. */
  onProgress?: (fraction: number) => void;
}

export interface SplitAudio {
  info: AudioInfo;
  silences: Silence[];
  chunks: AudioChunk[];
  dir: string;
  /** Removes the chunk files. */
  dispose(): Promise<void>;
}

/** Probe, find silences (only when more than one chunk is needed), plan and export, into a new temp folder. */
export async function splitAudio(file: string, options: SplitOptions = {}): Promise<SplitAudio> {
  const format = options.format ?? 'mp3';
  const maxBytes = options.maxBytes ?? 25 * 1024 * 1024;
  const limits = { maxChunkSec: options.maxChunkSec ?? 600, maxBytes, bytesPerSecond: CHUNK_FORMATS[format].bytesPerSecond };
  const info = await probeAudio(file, options);
  const report = options.onProgress;
  const silences =
    info.durationSec > chunkLimitSec(limits)
      ? (await detectSilences(file, { ...options, onProgress: (s) => report?.((0.5 * s) / info.durationSec) })).silences
      : [];
  const plan = planChunks({ ...limits, durationSec: info.durationSec, silences, windowSec: options.windowSec });
  const dir = await makeTempDir('tessera-audio-');
  try {
    const chunks = await exportChunks(file, plan, { ...options, dir: dir.path, format, onProgress: (d, n) => report?.(0.5 + (0.5 * d) / n) });
    const over = chunks.find((c) => c.bytes > maxBytes);
    if (over) throw mediaError('MEDIA_TOO_LARGE', `Chunk ${over.index} is ${over.bytes} bytes, over the ${maxBytes}-byte limit.`);
    return { info, silences, chunks, dir: dir.path, dispose: dir.dispose };
  } catch (err) {
    await dir.dispose();
    throw err;
  }
}

function corrupt(what: string, stderr: string) {
  const detail = stderr.trim().split('\n').slice(-3).join(' | ');
  return mediaError('MEDIA_CORRUPT', `The ${what} file is corrupt or cannot be decoded${detail ? ` (ffmpeg: ${detail})` : ''}.`);
}
