/**
 * Part `media`: a 1 GB WAV uploaded through the API (`tessera serve`) and transcribed by a `tessera
 * worker` (separate processes) through the tests' fake provider server: the peak RSS of each process, the
 * stage each peak came from, and the run's workflow history size (bytes and events, as the server counts them).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TesseraClient } from '../../engine/api/client/client.ts';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { check, type Part, type PartContext, type PartResult } from '../parts.ts';
import { childrenOf } from '../proc.ts';
import { table } from '../report.ts';
import { startServices } from '../services.ts';
import { stageSampler } from './stage-sampler.ts';
import { makeWav } from './wav.ts';

export const MEDIA = { bytes: Number(process.env.BENCH_MEDIA_BYTES ?? 1e9), rssGoalMB: 300, historyGoalBytes: 64_000 };
const MB = 1e6 / 2 ** 20; // MiB per MB

const PIPELINE = {
  format: 'tessera.pipeline/v1',
  name: 'bench-transcribe-large',
  nodes: [
    { id: 'audio', type: 'input', params: { name: 'audio', kind: 'audio' } },
    { id: 'stt', type: 'transcribe', params: {} },
    { id: 'out', type: 'output', params: { name: 'text' } },
  ],
  edges: [{ from: 'audio.value', to: 'stt.audio' }, { from: 'stt.text', to: 'out.value' }],
} as unknown as Pipeline;

/** The worker's stages, told apart by the tools it runs (their command lines) and the provider calls it makes. */
const STAGES = ['idle', 'upload (API)', 'run start', 'copy to a temp file (worker)', 'probe (ffprobe)', 'silences (ffmpeg decodes it all)', 'chunks (ffmpeg encodes)', 'transcription calls', 'finished'];
function toolStage(workerPid: number): string | undefined {
  for (const child of childrenOf(workerPid)) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes('ffprobe')) return STAGES[4];
    if (cmd.includes('silencedetect')) return STAGES[5];
    if (cmd.includes('-ss')) return STAGES[6];
  }
  return undefined;
}

async function run({ log, fake }: PartContext): Promise<PartResult> {
  const openai = { OPENAI_API_KEY: 'sk-bench-not-a-key', OPENAI_BASE_URL: fake.openaiBaseURL };
  const services = await startServices({ api: true, workerEnv: openai, log });
  try {
    const wav = process.env.BENCH_MEDIA_WAV ?? path.join(services.dir, 'large.wav');
    log(`media: writing a ${(MEDIA.bytes / 1e9).toFixed(1)} GB WAV with ffmpeg (${wav})`);
    const size = await makeWav(wav, MEDIA.bytes);
    const api = services.api!;
    const client = new TesseraClient({ server: api.url });
    const pipelineId = (await client.createPipeline(PIPELINE)).pipeline.id;
    fake.reset();
    const pids = { api: api.process.child.pid!, worker: services.worker.child.pid! };
    const sampler = stageSampler(pids);
    let stage = 0;
    const advance = (to: number) => {
      if (to <= stage) return;
      stage = to;
      sampler.stage(STAGES[to]);
    };
    sampler.stage(STAGES[0]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // While the run is on: which stage the worker is in.
    const watcher = setInterval(() => {
      if (stage < 2) return;
      if (fake.requestsTo('transcriptions').length) return advance(7);
      const tool = toolStage(pids.worker);
      if (tool) advance(STAGES.indexOf(tool));
    }, 25);
    try {
      advance(1);
      log(`media: uploading ${(size / 1e9).toFixed(2)} GB through the API`);
      const t0 = performance.now();
      const ref = await client.uploadBlob(wav, { kind: 'audio' });
      const uploadSeconds = (performance.now() - t0) / 1000;
      advance(2);
      const started = await client.startRun(pipelineId, { inputs: { audio: ref } });
      advance(3);
      log('media: transcribing');
      const finished = await client.waitForRun(started.id);
      const runSeconds = (performance.now() - t0) / 1000 - uploadSeconds;
      advance(8);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      clearInterval(watcher);
      const { stages, peaks, simultaneous } = sampler.stop();
      check(finished.status === 'succeeded', `the transcription run ${finished.status}: ${JSON.stringify(finished.error)}`);
      const calls = fake.requestsTo('transcriptions').length;
      const history = await services.client.workflow.getHandle(started.id).describe();
      const historyBytes = history.historySize ?? NaN;
      return report({ size, uploadSeconds, runSeconds, calls, stages, peaks, simultaneous, historyBytes, historyEvents: history.historyLength, mode: services.mode });
    } finally {
      clearInterval(watcher);
    }
  } finally {
    await services.close();
  }
}

function report(r: {
  size: number; uploadSeconds: number; runSeconds: number; calls: number; mode: string;
  stages: ReturnType<ReturnType<typeof stageSampler>['stop']>['stages'];
  peaks: Record<string, number>; simultaneous: { max: number; stage: string };
  historyBytes: number; historyEvents: number;
}): PartResult {
  const f0 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(0));
  const stageTable = table(
    ['Stage', 'From (s)', 'Seconds', 'API RSS, max (MiB)', 'Worker RSS, max (MiB)', 'Worker\'s ffmpeg/ffprobe RSS, max (MiB)'],
    r.stages.map((s) => [s.stage, s.start.toFixed(1), s.seconds.toFixed(1), f0(s.max.api), f0(s.max.worker), f0(s.childrenMax.worker)]),
  );
  const idle = r.stages[0];
  const sumPeaks = r.peaks.api + r.peaks.worker;
  const body = `A ${(r.size / 1e9).toFixed(2)} GB WAV (CD-quality stereo from ffmpeg: a tone with a second of silence every 30 s)
uploaded with \`POST /blobs\` (the typed client streaming the file) to \`tessera serve\`, then the pipeline
\`input(audio) -> transcribe -> output\` run through the API and transcribed by a \`tessera worker\` process
(both ${r.mode}) whose OpenAI provider is the tests' fake provider server (\`OPENAI_BASE_URL\`):
the upload took ${r.uploadSeconds.toFixed(1)} s, the run ${r.runSeconds.toFixed(1)} s with ${r.calls} transcription calls. RSS sampled every 50 ms
(/proc), each process's peak from the kernel (VmHWM); stages told apart by the worker's ffprobe/ffmpeg
command lines and the provider calls. The ffmpeg and ffprobe processes are the worker's children, not
counted in its RSS.

${stageTable}

| Figure | Value |
|---|---|
| API process: RSS idle before the upload / peak (VmHWM) | ${f0(idle.max.api)} / ${f0(r.peaks.api)} MiB |
| Worker process: RSS idle before the upload / peak (VmHWM) | ${f0(idle.max.worker)} / ${f0(r.peaks.worker)} MiB |
| API + worker: sum of the peaks / largest sum at one instant | ${f0(sumPeaks)} / ${f0(r.simultaneous.max)} MiB (${r.simultaneous.stage}) |
| Workflow history of the run | ${r.historyBytes} bytes, ${r.historyEvents} events |`;
  return {
    body,
    goals: [
      { goal: `1 GB audio: API + worker peak RSS at most ${MEDIA.rssGoalMB} MB`, measured: `${f0(sumPeaks / MB)} MB (API ${f0(r.peaks.api / MB)} + worker ${f0(r.peaks.worker / MB)}; idle ${f0((idle.max.api + idle.max.worker) / MB)})`, met: sumPeaks / MB <= MEDIA.rssGoalMB },
      { goal: `1 GB audio: workflow history at most ${MEDIA.historyGoalBytes / 1000} KB`, measured: `${(r.historyBytes / 1000).toFixed(1)} KB (${r.historyEvents} events)`, met: r.historyBytes <= MEDIA.historyGoalBytes },
    ],
  };
}

export const mediaPart: Part = { id: 'media', title: 'A 1 GB audio file through the API', minutes: 3, usesEnv: false, run };
