/**
 * Part `media`: a 1 GB WAV uploaded through the API and transcribed through the tests' fake provider
 * server, with the API and the worker as separate processes (`tessera serve` + `tessera worker`) and as one
 * (`tessera serve --worker`): peak RSS, the stage each peak came from and what it is made of, and the run's
 * workflow history size. BENCH_MEDIA_LAYOUTS=separate measures one layout only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Part, PartContext, PartResult } from '../parts.ts';
import { table } from '../report.ts';
import { measureMedia, type Layout, type MediaMeasurement } from './measure.ts';
import type { ProbeLine } from './probe-lines.ts';
import { makeWav } from './wav.ts';

export const MEDIA = {
  bytes: Number(process.env.BENCH_MEDIA_BYTES ?? 1e9),
  layouts: (process.env.BENCH_MEDIA_LAYOUTS ?? 'separate,with-worker').split(',') as Layout[],
  rssGoalMB: 300,
  historyGoalBytes: 64_000,
};
const MiB = 2 ** 20;
const MB_PER_MiB = MiB / 1e6;
const f0 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(0));

async function run({ log, fake }: PartContext): Promise<PartResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-media-'));
  try {
    const wav = process.env.BENCH_MEDIA_WAV ?? path.join(dir, 'large.wav');
    log(`media: writing a ${(MEDIA.bytes / 1e9).toFixed(1)} GB WAV with ffmpeg (${wav})`);
    const size = await makeWav(wav, MEDIA.bytes);
    const results: MediaMeasurement[] = [];
    for (const [i, layout] of MEDIA.layouts.entries()) results.push(await measureMedia(layout, wav, fake, dir, i === 0, log));
    return report(size, results);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RSS split as the main thread sees it: V8's heap, what JavaScript holds outside it, and the rest. */
function splitRow(name: string, moment: string, l: ProbeLine | undefined): string[] {
  if (!l) return [name, moment, '-', '-', '-', '-'];
  const m = (bytes: number) => f0(bytes / MiB);
  return [name, moment, m(l.rss), `${m(l.heapUsed)} / ${m(l.heapTotal)}`, `${m(l.external)} (${m(l.arrayBuffers)})`, m(l.rss - l.heapTotal - l.external)];
}

const LAYOUT_NAMES: Record<Layout, string> = { separate: '`tessera serve` + `tessera worker`', 'with-worker': '`tessera serve --worker` (one process)' };

function stageTable(m: MediaMeasurement): string {
  const names = Object.keys(m.peaks);
  const label = (name: string) => (m.layout === 'with-worker' ? 'API and worker' : name === 'api' ? 'API' : 'Worker');
  return table(
    ['Stage', 'From (s)', 'Seconds', ...names.map((n) => `${label(n)} RSS, max (MiB)`), 'ffmpeg/ffprobe RSS, max (MiB)'],
    m.stages.map((s) => [s.stage, s.start.toFixed(1), s.seconds.toFixed(1), ...names.map((n) => f0(s.max[n])), f0(Math.max(...names.map((n) => s.childrenMax[n] ?? 0)))]),
  );
}

function report(size: number, results: MediaMeasurement[]): PartResult {
  const total = (m: MediaMeasurement) => Object.values(m.peaks).reduce((a, b) => a + b, 0);
  const idle = (m: MediaMeasurement) => Object.keys(m.peaks).reduce((sum, n) => sum + (m.stages[0].max[n] ?? 0), 0);
  const first = results[0];
  const figures = table(
    ['Figure', ...results.map((m) => LAYOUT_NAMES[m.layout])],
    [
      ['Upload through the API / transcription run', ...results.map((m) => `${m.uploadSeconds.toFixed(1)} s / ${m.runSeconds.toFixed(1)} s (${m.calls} calls)`)],
      ['RSS idle, before the upload (MiB)', ...results.map((m) => Object.keys(m.peaks).map((n) => f0(m.stages[0].max[n])).join(' + '))],
      ['Peak RSS, VmHWM (MiB)', ...results.map((m) => `${Object.values(m.peaks).map(f0).join(' + ')} = ${f0(total(m))}`)],
      ['Largest sum at one instant (MiB)', ...results.map((m) => `${f0(m.simultaneous.max)} (${m.simultaneous.stage})`)],
      ['Workflow history of the run', ...results.map((m) => `${m.historyBytes} bytes, ${m.historyEvents} events`)],
    ],
  );
  const body = `A ${(size / 1e9).toFixed(2)} GB WAV (CD-quality stereo written by ffmpeg: a tone with a second of silence every 30 s)
uploaded with \`POST /blobs\` (the typed client streaming the file), then the pipeline \`input(audio) ->
transcribe -> output\` run through the API, the worker's OpenAI provider being the tests' fake provider
server (\`OPENAI_BASE_URL\`). The \`tessera\` processes ran the ${first.mode}. RSS sampled every 50 ms
(/proc), each process's peak from the kernel (VmHWM); the worker's stages told apart by its ffprobe and
ffmpeg command lines and by the provider calls. ffmpeg and ffprobe are the worker's child processes, not
counted in its RSS (their column is for scale). Sizes in MiB; the goal is in MB (10^6 bytes).

${figures}

${results.map((m) => `**${LAYOUT_NAMES[m.layout]}**, by stage:\n\n${stageTable(m)}`).join('\n\n')}

Where the memory is, from each process's main thread (\`process.memoryUsage()\` every 200 ms, by
\`bench/memory-probe.mjs\` preloaded into it): V8's heap, what JavaScript objects hold outside it
(*external*, of which array buffers: stream chunks, Buffers), and the rest of the RSS: the Node.js binary
and native libraries (file-backed pages, shared between processes but counted in each RSS), the workflow
thread's V8 heap, native allocations (the Temporal Core SDK's Rust side, libvips, malloc arenas). For
scale, an idle Node.js process and a bare Temporal worker process (\`bench/media/bare-worker-process.mjs\`:
the baseline workflows, no Tessera) on the same server, measured after the first layout (MiB):

${table(
  ['Process', 'When', 'RSS', 'V8 heap used / total', 'External (array buffers)', 'Rest of the RSS'],
  [
    ...results.flatMap((m) => m.probes.flatMap((p) => [splitRow(p.name, 'idle, before the upload', p.idle), splitRow(p.name, 'at its peak', p.peak)])),
    ...(first.scale ?? []).map((s) => splitRow(s.name, 'idle', s.probe)),
  ],
)}`;
  const best = results.reduce((a, b) => (total(b) < total(a) ? b : a));
  return {
    body,
    goals: [
      ...results.map((m) => ({
        goal: `1 GB audio: API + worker peak RSS at most ${MEDIA.rssGoalMB} MB, ${LAYOUT_NAMES[m.layout]}`,
        measured: `${f0(total(m) * MB_PER_MiB)} MB (idle before the upload: ${f0(idle(m) * MB_PER_MiB)} MB)`,
        met: total(m) * MB_PER_MiB <= MEDIA.rssGoalMB,
      })),
      { goal: `1 GB audio: workflow history at most ${MEDIA.historyGoalBytes / 1000} KB`, measured: `${(best.historyBytes / 1000).toFixed(1)} KB (${best.historyEvents} events)`, met: results.every((m) => m.historyBytes <= MEDIA.historyGoalBytes) },
    ],
  };
}

export const mediaPart: Part = { id: 'media', title: 'A 1 GB audio file through the API', minutes: 5, usesEnv: false, run };
