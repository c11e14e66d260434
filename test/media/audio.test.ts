/**
 * Real audio through the ffmpeg Tessera runs (the system's, else the bundled one): a minute of speech (an espeak-ng recording, test/fixtures/speech), probed, scanned for
 * silences and cut into chunks under a 20 s limit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { detectSilences, probeAudio, splitAudio, type Silence, type SplitAudio } from '../../engine/media/audio.ts';
import { writeTempFile } from '../../engine/media/temp.ts';
import { defaultTools } from '../../engine/media/tools.ts';
import { rejectsWithCode } from './helpers.ts';
import { speechWav } from '../support/speech.ts';


let dir: string;
let wav: string;
let split: SplitAudio | undefined;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-audio-test-'));
  wav = path.join(dir, 'speech.wav');
  speechWav('clinic-150', wav);
});
after(async () => {
  await split?.dispose();
  await rm(dir, { recursive: true, force: true });
});

function ffmpeg(...args: string[]) {
  execFileSync(defaultTools().ffmpeg, ['-v', 'error', '-y', ...args]);
}

test('probe: format and duration come from the content, not the name', async () => {
  const info = await probeAudio(wav);
  assert.equal(info.format, 'wav');
  assert.ok(info.durationSec > 60, `speech is ${info.durationSec} s`);
  assert.equal(info.channels, 1);

  // The same speech as flac, ogg (opus), m4a (aac), webm (opus) and mp3, under a misleading name.
  const encodings: [string, string[]][] = [
    ['flac', ['-c:a', 'flac', '-f', 'flac']],
    ['ogg', ['-c:a', 'libopus', '-f', 'ogg']],
    ['m4a', ['-c:a', 'aac', '-f', 'ipod']],
    ['webm', ['-c:a', 'libopus', '-f', 'webm']],
    ['mp3', ['-c:a', 'libmp3lame', '-f', 'mp3']],
  ];
  for (const [format, codec] of encodings) {
    const file = path.join(dir, `as-${format}.txt`);
    ffmpeg('-t', '3', '-i', wav, ...codec, file);
    const probed = await probeAudio(file);
    assert.ok(['flac', 'ogg', 'opus', 'm4a', 'mp4', 'webm', 'mp3'].includes(probed.format), probed.format);
    assert.ok(Math.abs(probed.durationSec - 3) < 0.1, `${format}: ${probed.durationSec} s`);
  }
});

test('audio the upload rule accepts (Matroska audio, AIFF) is probed too: one media-kind rule everywhere', async () => {
  const { mediaKindAccepts } = await import('../../engine/blob/media-kind.ts');
  const { sniffFile } = await import('../../engine/blob/sniff.ts');
  for (const [name, args] of [['speech.mka', ['-c:a', 'libopus', '-f', 'matroska']], ['speech.aiff', ['-f', 'aiff']]] as const) {
    const file = path.join(dir, name);
    ffmpeg('-t', '2', '-i', wav, ...args, file);
    const sniffed = await sniffFile(file);
    assert.ok(sniffed && mediaKindAccepts('audio', sniffed.mime), `${name} is audio for uploads and run inputs (${sniffed?.mime})`);
    const probed = await probeAudio(file);
    assert.ok(Math.abs(probed.durationSec - 2) < 0.1, `${name}: ${probed.durationSec} s`);
  }
});

test('a streamed WebM recording without a duration header (as browsers record) is measured by decoding', async () => {
  // Written to a pipe, the muxer cannot go back to fill in the duration, exactly like MediaRecorder output.
  const webm = execFileSync(defaultTools().ffmpeg, ['-v', 'error', '-t', '5', '-i', wav, '-c:a', 'libopus', '-f', 'webm', '-'], { maxBuffer: 1 << 24 });
  const file = await writeTempFile(webm);
  try {
    const info = await probeAudio(file.path);
    assert.equal(info.format, 'webm');
    assert.ok(Math.abs(info.durationSec - 5) < 0.1, `${info.durationSec} s`);
  } finally {
    await file.dispose();
  }
});

test('speech is cut at silences into chunks under the limit that cover the whole file in order', async () => {
  const info = await probeAudio(wav);
  const { silences } = await detectSilences(wav);
  assert.ok(silences.length >= 8, `${silences.length} silences`);
  split = await splitAudio(wav, { maxChunkSec: 20 });
  const { chunks } = split;
  assert.ok(chunks.length >= 4, `${chunks.length} chunks`);
  assert.equal(chunks[0]!.offsetSec, 0);
  const inSilence = (t: number) => silences.some((s: Silence) => s.start - 1e-3 <= t && t <= s.end + 1e-3);
  for (const [i, chunk] of chunks.entries()) {
    assert.equal(chunk.index, i);
    assert.ok(chunk.durationSec <= 20, `chunk ${i} lasts ${chunk.durationSec} s`);
    if (i > 0) assert.ok(Math.abs(chunk.offsetSec - (chunks[i - 1]!.offsetSec + chunks[i - 1]!.durationSec)) < 1e-6, 'contiguous');
    if (i < chunks.length - 1) {
      assert.equal(chunk.cut, 'silence');
      assert.ok(inSilence(chunk.offsetSec + chunk.durationSec), `chunk ${i} ends at ${chunk.offsetSec + chunk.durationSec}, not in a silence`);
    }
    // The exported file is 16 kHz mono mp3 of the planned length.
    const probed = await probeAudio(chunk.path);
    assert.deepEqual([probed.format, probed.sampleRate, probed.channels, chunk.mime], ['mp3', 16000, 1, 'audio/mpeg']);
    assert.ok(Math.abs(probed.durationSec - chunk.durationSec) < 0.15, `chunk ${i}: file ${probed.durationSec} s, planned ${chunk.durationSec} s`);
  }
  const last = chunks.at(-1)!;
  assert.ok(Math.abs(last.offsetSec + last.durationSec - info.durationSec) < 1e-6, 'the chunks reach the end');
  const dirOfChunks = split.dir;
  await split.dispose();
  split = undefined;
  assert.equal(existsSync(dirOfChunks), false);
});

test('a byte limit shortens the chunks (flac, upper-bound rate)', async () => {
  const result = await splitAudio(wav, { maxChunkSec: 600, maxBytes: 400_000, format: 'flac' });
  try {
    assert.ok(result.chunks.length >= 6, `${result.chunks.length} chunks`);
    for (const chunk of result.chunks) assert.ok(chunk.bytes <= 400_000 && chunk.mime === 'audio/flac');
  } finally {
    await result.dispose();
  }
});

test('corrupt, non-audio and missing-tool failures', async () => {
  // A RIFF/WAVE header followed by garbage: sniffed as wav, rejected by ffprobe.
  const header = Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1');
  const corrupt = await writeTempFile(Buffer.concat([header, Buffer.alloc(400, 0xff)]));
  try {
    const err = await rejectsWithCode(probeAudio(corrupt.path), 'MEDIA_CORRUPT');
    assert.match(err.message, /corrupt/);
    // ffprobe names the file it read; the message keeps only its name, not the worker's temp folder.
    assert.match(err.message, /input\.wav/);
    assert.ok(!err.message.includes(os.tmpdir()) && !err.message.includes(path.dirname(corrupt.path)), err.message);
  } finally {
    await corrupt.dispose();
  }
  const text = await writeTempFile(Buffer.from('this is a text file, not audio'));
  try {
    await rejectsWithCode(probeAudio(text.path), 'MEDIA_UNSUPPORTED');
  } finally {
    await text.dispose();
  }
  const missing = await rejectsWithCode(probeAudio(wav, { tools: { ffmpeg: '/nonexistent/ffmpeg', ffprobe: '/nonexistent/ffprobe' } }), 'MEDIA_TOOL_MISSING');
  assert.match(missing.message, /apt-get install ffmpeg/);
});

test('aborting stops ffmpeg', async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(detectSilences(wav, { signal: controller.signal }), { name: 'AbortError' });
});
