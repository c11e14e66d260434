import { z } from 'zod';
import { mediaKindAccepts } from '../../engine/blob/media-kind.ts';
import { defineNode, NodeError } from '../../engine/node-sdk/define-node.ts';
import { splitAudio, stitchTranscripts, type ChunkTranscript } from '../../engine/media/audio.ts';
import { blobTempFile } from '../../engine/media/temp.ts';
import { modelParam, providerParam, resolveModel } from '../common/params.ts';
import { CLINICAL_TRANSCRIPTION_PROMPT } from '../common/prompts.ts';

/**
 * Speech to text. Audio over the provider's upload limit or the chunk duration is split with ffmpeg (at
 * silences where possible); the chunks are transcribed concurrently and stitched in order with their
 * timestamps shifted to the original audio.
 */
export const transcribeNode = defineNode({
  type: 'transcribe',
  version: 1,
  title: 'Transcribe',
  category: 'AI',
  description: 'Speech to text with segments and detected language; long audio is split at silences and stitched back.',
  params: z.object({
    provider: providerParam('openai'),
    model: modelParam('whisper-1'),
    language: z.string().regex(/^[a-z]{2,3}$/).optional().describe('ISO-639-1 language of the audio, e.g. "en".'),
    prompt: z.string().optional().describe('Domain vocabulary or style hint, e.g. medical terms.'),
    preset: z.enum(['none', 'clinical']).default('none').describe('"clinical" adds the clinical-consultation prompt.'),
    maxChunkSeconds: z.number().int().min(10).max(3600).default(600).describe('Longest chunk sent in one request.'),
    concurrency: z.number().int().min(1).max(8).default(3).describe('Chunks transcribed at the same time.'),
  }),
  inputs: { audio: { kind: 'audio' } },
  outputs: { text: { kind: 'text' }, segments: { kind: 'json' }, language: { kind: 'text' } },
  execution: { startToCloseTimeout: '60m', heartbeatTimeout: '2m', retry: { maximumAttempts: 5, initialInterval: '5s' } },
  access: { providers: true },
  // One call per chunk; the cost follows the audio's length. A transcript runs at about 15 characters a second of speech.
  estimate: (params, inputs) => {
    const seconds = inputs.audio?.audioSeconds ?? 0;
    const chunks = Math.max(1, Math.ceil(seconds / params.maxChunkSeconds));
    const prompt = [params.preset === 'clinical' ? CLINICAL_TRANSCRIPTION_PROMPT : undefined, params.prompt].filter(Boolean).join(' ');
    return {
      calls: [{ operation: 'transcribe', provider: params.provider, model: params.model, calls: { min: chunks, max: chunks }, inputChars: prompt.length, audioSeconds: seconds / chunks }],
      outputs: { text: { chars: Math.ceil(seconds * 15), items: 1 }, segments: { chars: Math.ceil(seconds * 30), items: 1 }, language: { chars: 2, items: 1 } },
    };
  },
  run: async (ctx, inputs, params) => {
    if (!mediaKindAccepts('audio', inputs.audio.mime)) {
      throw new NodeError('MEDIA_UNSUPPORTED', `The audio input is ${inputs.audio.mime}; expected wav, mp3, m4a, ogg, webm or flac.`);
    }
    const stt = ctx.providers.require(params.provider, 'transcribe');
    const prompt = [params.preset === 'clinical' ? CLINICAL_TRANSCRIPTION_PROMPT : undefined, params.prompt].filter(Boolean).join(' ') || undefined;
    const source = await blobTempFile(ctx.blobs, inputs.audio);
    try {
      const split = await splitAudio(source.path, {
        maxBytes: stt.maxUploadBytes,
        maxChunkSec: params.maxChunkSeconds,
        signal: ctx.signal,
        onProgress: (f) => ctx.progress(0.3 * f, 'preparing audio'),
      });
      try {
        const results: ChunkTranscript[] = new Array(split.chunks.length);
        let languages: string[] = [];
        let done = 0;
        let next = 0;
        const worker = async () => {
          while (next < split.chunks.length) {
            const chunk = split.chunks[next++];
            const result = await stt.transcribe({
              model: resolveModel(params.provider, params.model, stt.defaultModel, 'transcribe'),
              // The chunk's file, not its bytes: the provider streams it as it uploads it.
              audio: { path: chunk.path, size: chunk.bytes, mime: chunk.mime, name: `chunk-${chunk.index}.${chunk.path.split('.').pop()}` },
              language: params.language,
              prompt,
              // Models that answer without segments or duration (*-transcribe) get the chunk's measured length.
              durationSeconds: chunk.durationSec,
              signal: ctx.signal,
            });
            ctx.recordUsage({ ...result.usage, audioSeconds: result.usage.audioSeconds ?? chunk.durationSec });
            results[chunk.index] = { offset: chunk.offsetSec, text: result.text, segments: result.segments };
            if (result.language) languages = [...languages, result.language];
            done += 1;
            ctx.progress(0.3 + (0.7 * done) / split.chunks.length, `transcribed ${done} of ${split.chunks.length} chunks`);
          }
        };
        await Promise.all(Array.from({ length: Math.min(params.concurrency, split.chunks.length) }, worker));
        const stitched = stitchTranscripts(results);
        return { text: stitched.text, segments: stitched.segments, language: params.language ?? mostCommon(languages) ?? '' };
      } finally {
        await split.dispose();
      }
    } finally {
      await source.dispose();
    }
  },
});

function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}
