/**
 * The transcribe node with real audio (espeak-ng speech, the ffmpeg Tessera runs) through the real OpenAI provider
 * against the fake server: long audio is cut into chunks, each uploaded as MP3, and the transcripts are
 * stitched back in chunk order with timestamps shifted to the original audio.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BlobRef } from '../../engine/blob/ref.ts';
import { defaultTools } from '../../engine/media/tools.ts';
import type { Capability, Providers, TranscribeCapability, TranscribeRequest } from '../../engine/providers/types.ts';
import { transcribeNode } from '../../nodes/transcribe/index.ts';
import type { RecordedRequest } from '../support/fake-provider-server.ts';
import { nodeError, runNode, startNodeEnv, type NodeEnv } from '../support/node-harness.ts';
import { solid } from '../media/helpers.ts';
import { speechWav } from '../support/speech.ts';

const run = promisify(execFile);

const CLINICAL_PROMPT = 'This is a clinical consultation. Medical terminology should be preserved accurately.';

let env: NodeEnv;
let dir: string;
let longSpeech: BlobRef;
let longSeconds: number;
let shortSpeech: BlobRef;
let shortSeconds: number;

async function durationOf(data: Buffer, name = 'probe.bin'): Promise<number> {
  const file = path.join(dir, `${Date.now()}-${Math.random().toString(36).slice(2)}-${name}`);
  await writeFile(file, data);
  const { stdout } = await run(defaultTools().ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  await rm(file);
  return Number(stdout.trim());
}

before(async () => {
  env = await startNodeEnv();
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-transcribe-test-'));
  // About 70 s of speech with sentence pauses (silences to cut at), and one short sentence.
  speechWav('clinic-140', path.join(dir, 'long.wav'));
  speechWav('tablets', path.join(dir, 'short.wav'));
  const long = await readFile(path.join(dir, 'long.wav'));
  const short = await readFile(path.join(dir, 'short.wav'));
  longSeconds = await durationOf(long, 'long.wav');
  shortSeconds = await durationOf(short, 'short.wav');
  longSpeech = await env.put(long, 'consultation.wav');
  shortSpeech = await env.put(short, 'note.wav');
});
beforeEach(() => env.fake.reset());
after(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

const chunkIndex = (req: RecordedRequest) => Number(/^chunk-(\d+)\.mp3$/.exec(req.form!.files[0]!.name)?.[1]);

test('long speech with maxChunkSeconds 20: one MP3 upload per chunk, prompt and language sent, stitched in chunk order with shifted timestamps', async () => {
  assert.ok(longSeconds > 60 && longSeconds < 80, `speech is ${longSeconds} s`);
  // Each chunk answers verbose_json with two segments covering the chunk (times relative to the chunk).
  // Chunk 0 answers last, so the stitched order cannot come from the order answers arrive in.
  const chunkSeconds = new Map<number, number>();
  const answer = async (req: RecordedRequest, defaults: () => unknown) => {
    const k = chunkIndex(req);
    const d = await durationOf(req.form!.files[0]!.data, 'chunk.mp3');
    chunkSeconds.set(k, d);
    const base = defaults() as { text: string };
    const half = Math.round((d / 2) * 1000) / 1000;
    return {
      delayMs: k === 0 ? 300 : 0,
      json: {
        ...base,
        language: 'english',
        duration: d,
        segments: [
          { id: 0, seek: 0, start: 0, end: half, text: ` chunk ${k} first half` },
          { id: 1, seek: 0, start: half, end: d, text: ` chunk ${k} second half` },
        ],
      },
    };
  };
  env.fake.script('transcriptions', ...Array.from({ length: 12 }, () => answer));

  const ctx = env.context();
  const out = await runNode(
    transcribeNode,
    { audio: longSpeech },
    { maxChunkSeconds: 20, language: 'en', preset: 'clinical', prompt: 'Drugs: ibuprofen, amlodipine.' },
    ctx,
  );

  const requests = env.fake.requestsTo('transcriptions');
  const n = requests.length;
  assert.ok(n >= Math.ceil(longSeconds / 20) && n <= 6, `${n} requests for ${longSeconds} s`);
  assert.deepEqual(requests.map(chunkIndex).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i), 'each chunk exactly once');
  for (const r of requests) {
    assert.deepEqual(r.form!.fields, {
      model: 'whisper-1',
      response_format: 'verbose_json',
      language: 'en',
      prompt: `${CLINICAL_PROMPT} Drugs: ibuprofen, amlodipine.`,
    });
    assert.equal(r.form!.files.length, 1);
    const file = r.form!.files[0]!;
    assert.equal(file.field, 'file');
    assert.equal(file.mime, 'audio/mpeg');
    assert.equal(file.data.subarray(0, 3).toString('latin1') === 'ID3' || (file.data[0] === 0xff && (file.data[1]! & 0xe0) === 0xe0), true, 'MP3 bytes');
    assert.ok(file.size < 25 * 1024 * 1024, 'under the upload limit');
    assert.ok(chunkSeconds.get(chunkIndex(r))! <= 20.1, `chunk ${chunkIndex(r)} is ${chunkSeconds.get(chunkIndex(r))} s`);
  }

  // Text: each chunk's default transcript ("audio <size> bytes <sha8>") in chunk order.
  const byChunk = [...requests].sort((a, b) => chunkIndex(a) - chunkIndex(b));
  const expectedText = byChunk.map((r) => `audio ${r.form!.files[0]!.size} bytes ${r.form!.files[0]!.sha256.slice(0, 8)}`).join(' ');
  assert.equal(out.text, expectedText);
  assert.equal(out.language, 'en');

  // Segments: chunk order, shifted by each chunk's offset, strictly increasing, tiling the audio.
  const segments = out.segments as { start: number; end: number; text: string }[];
  assert.equal(segments.length, 2 * n);
  assert.deepEqual(segments.map((s) => s.text), byChunk.flatMap((_, k) => [`chunk ${k} first half`, `chunk ${k} second half`]));
  let offset = 0;
  for (let k = 0; k < n; k++) {
    const [first, second] = [segments[2 * k]!, segments[2 * k + 1]!];
    const d = chunkSeconds.get(k)!;
    // The offset is where the previous chunks end: the sum of their real (ffprobe) durations.
    assert.ok(Math.abs(first.start - offset) < 0.15 * (k + 1), `chunk ${k} starts at ${first.start}, expected ~${offset}`);
    if (k === 0) assert.equal(first.start, 0);
    assert.ok(Math.abs(second.start - first.start - Math.round((d / 2) * 1000) / 1000) < 0.002, 'shifted by the same offset');
    offset += d;
  }
  for (let i = 1; i < segments.length; i++) {
    assert.ok(segments[i]!.start > segments[i - 1]!.start, `segment ${i} starts after segment ${i - 1}: ${JSON.stringify(segments.slice(i - 1, i + 1))}`);
    assert.ok(segments[i]!.start >= segments[i - 1]!.end - 0.15, 'segments do not overlap beyond encoder padding');
  }
  assert.ok(Math.abs(segments.at(-1)!.end - longSeconds) < 0.5, `the last segment ends at ${segments.at(-1)!.end}, the audio at ${longSeconds}`);

  // Usage: one record per chunk, billed by the minute (whisper-1: $0.006 per minute).
  assert.equal(ctx.usage.length, n);
  const seconds = ctx.usage.reduce((s, u) => s + u.audioSeconds!, 0);
  assert.ok(Math.abs(seconds - longSeconds) < 0.5, `${seconds} s billed for ${longSeconds} s`);
  for (const u of ctx.usage) assert.ok(Math.abs(u.costUsd! - (u.audioSeconds! / 60) * 0.006) < 1e-9);
  const fractions = ctx.progressReports.map((p) => p.fraction);
  assert.ok(fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!)), `progress ${fractions}`);
  assert.equal(fractions.at(-1), 1);
});

test('a short clip is exactly one request; the detected language comes back when none is given', async () => {
  assert.ok(shortSeconds > 1 && shortSeconds < 10, `clip is ${shortSeconds} s`);
  const ctx = env.context();
  const out = await runNode(transcribeNode, { audio: shortSpeech }, {}, ctx);
  const requests = env.fake.requestsTo('transcriptions');
  assert.equal(requests.length, 1);
  const r = requests[0]!;
  assert.deepEqual(r.form!.fields, { model: 'whisper-1', response_format: 'verbose_json' });
  assert.equal(r.form!.files[0]!.name, 'chunk-0.mp3');
  assert.equal(r.form!.files[0]!.mime, 'audio/mpeg');
  assert.equal(out.text, `audio ${r.form!.files[0]!.size} bytes ${r.form!.files[0]!.sha256.slice(0, 8)}`);
  assert.equal(out.language, 'english');
  assert.equal((out.segments as unknown[]).length, 1);
  assert.equal(ctx.usage.length, 1);
});

test('each chunk reaches the provider as its file, not as bytes in memory; the provider uploads that file', async () => {
  // The node's chunks, as the OpenAI provider is asked for them.
  const given: { path?: string; inMemory: boolean; sha256: string }[] = [];
  const providers: Providers = {
    ...env.providers,
    require: ((name: string, capability: Capability) => {
      const found = env.providers.require(name, capability);
      if (capability !== 'transcribe') return found;
      const stt = found as TranscribeCapability;
      return {
        ...stt,
        transcribe: async (request: TranscribeRequest) => {
          const bytes = 'path' in request.audio ? await readFile(request.audio.path) : request.audio.data;
          given.push({ path: 'path' in request.audio ? request.audio.path : undefined, inMemory: 'data' in request.audio, sha256: createHash('sha256').update(bytes).digest('hex') });
          return stt.transcribe(request);
        },
      };
    }) as Providers['require'],
  };
  await runNode(transcribeNode, { audio: longSpeech }, { maxChunkSeconds: 20 }, env.context({ providers }));
  const uploaded = env.fake.requestsTo('transcriptions').map((r) => r.form!.files[0]!.sha256).sort();
  assert.ok(given.length >= 4, `${given.length} chunks`);
  assert.deepEqual(given.map((g) => g.inMemory), given.map(() => false));
  assert.ok(given.every((g) => g.path && /^chunk-\d+\.mp3$/.test(path.basename(g.path))), JSON.stringify(given));
  assert.deepEqual(given.map((g) => g.sha256).sort(), uploaded, 'the fake received each chunk file\'s bytes');
});

test('a *-transcribe model (json, no segments): the one segment spans the chunk; usage has the audio length', async () => {
  const ctx = env.context();
  const out = await runNode(transcribeNode, { audio: shortSpeech }, { model: 'gpt-4o-mini-transcribe' }, ctx);
  const r = env.fake.requestsTo('transcriptions')[0]!;
  assert.equal(r.form!.fields.response_format, 'json');
  const segments = out.segments as { start: number; end: number; text: string }[];
  assert.equal(segments.length, 1);
  assert.equal(segments[0]!.start, 0);
  assert.ok(Math.abs(segments[0]!.end - shortSeconds) < 0.2, `segment ends at ${segments[0]!.end}, the clip is ${shortSeconds} s`);
  assert.equal(segments[0]!.text, out.text);
  const [usage] = ctx.usage;
  assert.ok(Math.abs(usage!.audioSeconds! - shortSeconds) < 0.2);
  assert.ok(usage!.inputTokens! > 0 && usage!.costUsd! > 0, 'billed by tokens');
});

test('a corrupt audio blob is MEDIA_CORRUPT; a non-audio blob is MEDIA_UNSUPPORTED; neither reaches the provider', async () => {
  const broken = await env.put(Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), Buffer.alloc(400, 0xff)]), 'broken.wav');
  assert.match(broken.mime, /^audio\//);
  const corrupt = await nodeError(runNode(transcribeNode, { audio: broken }, {}, env.context()));
  assert.equal(corrupt.code, 'MEDIA_CORRUPT');
  assert.equal(corrupt.options.retryable ?? false, false);

  const png = await env.put(await solid(10, 10, '#000000').png().toBuffer(), 'photo.png');
  const unsupported = await nodeError(runNode(transcribeNode, { audio: png }, {}, env.context()));
  assert.equal(unsupported.code, 'MEDIA_UNSUPPORTED');
  assert.match(unsupported.message, /image\/png/);
  const text = await env.put('not audio at all', 'notes.mp3');
  assert.equal((await nodeError(runNode(transcribeNode, { audio: text }, {}, env.context()))).code, 'MEDIA_UNSUPPORTED');
  assert.equal(env.fake.requests.length, 0);
});

test('Anthropic cannot transcribe: CAPABILITY_UNSUPPORTED', async () => {
  const err = await nodeError(runNode(transcribeNode, { audio: shortSpeech }, { provider: 'anthropic' }, env.context()));
  assert.equal(err.code, 'CAPABILITY_UNSUPPORTED');
  assert.equal(env.fake.requests.length, 0);
});
