/**
 * One measurement of part `media`: a large WAV uploaded through the API and transcribed by the worker
 * (separate `tessera serve` and `tessera worker` processes, or one `tessera serve --worker`), with each
 * process's RSS sampled by stage, its main thread's memory split (memory-probe.mjs), and the run's
 * workflow history size as the server counts it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TesseraClient } from '../../engine/api/client/client.ts';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import type { FakeProviders } from '../../test/support/fake-provider-server.ts';
import { check } from '../parts.ts';
import { childrenOf } from '../proc.ts';
import { startServices } from '../services.ts';
import { probeLines, type ProbeLine } from './probe-lines.ts';
import { scaleProcesses, type ScaleFigure } from './scale-processes.ts';
import { stageSampler, type StageFigures } from './stage-sampler.ts';

export type Layout = 'separate' | 'with-worker';

export interface MediaMeasurement {
  layout: Layout;
  mode: string;
  uploadSeconds: number;
  runSeconds: number;
  calls: number;
  stages: StageFigures[];
  /** Each process's peak RSS (VmHWM), MiB, by name ("api", "worker"; only "api" when it is both). */
  peaks: Record<string, number>;
  simultaneous: { max: number; stage: string };
  historyBytes: number;
  historyEvents: number;
  probes: { name: string; idle?: ProbeLine; peak?: ProbeLine }[];
  /** An idle Node.js process and a bare Temporal worker on the same server (when asked for). */
  scale?: ScaleFigure[];
}

/** BENCH_MEDIA_STT_CONCURRENCY: the transcribe node's `concurrency` (chunks sent at once; its default is 3). */
const STT_CONCURRENCY = process.env.BENCH_MEDIA_STT_CONCURRENCY ? Number(process.env.BENCH_MEDIA_STT_CONCURRENCY) : undefined;

const PIPELINE = {
  format: 'tessera.pipeline/v1',
  name: 'bench-transcribe-large',
  nodes: [
    { id: 'audio', type: 'input', params: { name: 'audio', kind: 'audio' } },
    { id: 'stt', type: 'transcribe', params: STT_CONCURRENCY ? { concurrency: STT_CONCURRENCY } : {} },
    { id: 'out', type: 'output', params: { name: 'text' } },
  ],
  edges: [{ from: 'audio.value', to: 'stt.audio' }, { from: 'stt.text', to: 'out.value' }],
} as unknown as Pipeline;

/** The stages in order; the worker's are told apart by the tools it runs (command lines) and the provider calls. */
export const STAGES = ['idle', 'upload (API)', 'run start', 'copy to a temp file (worker)', 'probe (ffprobe)', 'silences (ffmpeg decodes it all)', 'chunks (ffmpeg encodes)', 'transcription calls', 'finished'];

function toolStage(workerPid: number): number {
  for (const child of childrenOf(workerPid)) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes('ffprobe')) return 4;
    if (cmd.includes('silencedetect')) return 5;
    if (cmd.includes('-ss')) return 6;
  }
  return -1;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `probeDir`: where the memory probes write; `withScale`: also measure the processes for scale. */
export async function measureMedia(layout: Layout, wav: string, fake: FakeProviders, probeDir: string, withScale: boolean, log: (m: string) => void): Promise<MediaMeasurement> {
  const probe = path.join(probeDir, `memory-${layout}`);
  const openai = { OPENAI_API_KEY: 'sk-bench-not-a-key', OPENAI_BASE_URL: fake.openaiBaseURL };
  const services = await startServices({ api: layout, workerEnv: openai, probe, log });
  try {
    const api = services.api!;
    const client = new TesseraClient({ server: api.url });
    const pipelineId = (await client.createPipeline(PIPELINE)).pipeline.id;
    fake.reset();
    const pids: Record<string, number> = layout === 'separate' ? { api: api.process.child.pid!, worker: services.worker.child.pid! } : { api: api.process.child.pid! };
    const workerPid = services.worker.child.pid!;
    const sampler = stageSampler(pids);
    let stage = -1;
    const advance = (to: number) => {
      if (to <= stage) return;
      stage = to;
      sampler.stage(STAGES[to]);
    };
    advance(0);
    await pause(1000);
    const idleAt = Date.now();
    const watcher = setInterval(() => {
      if (stage < 2) return;
      advance(fake.requestsTo('transcriptions').length ? 7 : toolStage(workerPid));
    }, 25);
    try {
      advance(1);
      log(`media (${layout}): uploading through the API`);
      const t0 = performance.now();
      const ref = await client.uploadBlob(wav, { kind: 'audio' });
      const uploadSeconds = (performance.now() - t0) / 1000;
      advance(2);
      const started = await client.startRun(pipelineId, { inputs: { audio: ref } });
      advance(3);
      log(`media (${layout}): transcribing`);
      const finished = await client.waitForRun(started.id);
      const runSeconds = (performance.now() - t0) / 1000 - uploadSeconds;
      clearInterval(watcher);
      advance(8);
      await pause(1000);
      const { stages, peaks, simultaneous } = sampler.stop();
      check(finished.status === 'succeeded', `the transcription run ${finished.status}: ${JSON.stringify(finished.error)}`);
      const history = await services.client.workflow.getHandle(started.id).describe();
      const split = (name: string, pid: number) => {
        const lines = probeLines(probe, pid);
        const peak = lines.reduce<ProbeLine | undefined>((a, b) => (!a || b.rss > a.rss ? b : a), undefined);
        return { name, idle: lines.filter((l) => l.at <= idleAt).at(-1), peak };
      };
      return {
        layout,
        mode: services.mode,
        uploadSeconds,
        runSeconds,
        calls: fake.requestsTo('transcriptions').length,
        stages,
        peaks,
        simultaneous,
        historyBytes: history.historySize ?? NaN,
        historyEvents: history.historyLength,
        probes: layout === 'separate'
          ? [split('API (`tessera serve`)', pids.api), split('Worker (`tessera worker`)', pids.worker)]
          : [split('API and worker (`tessera serve --worker`)', pids.api)],
        scale: withScale ? await scaleProcesses(services.server.address, probeDir, probe) : undefined,
      };
    } finally {
      clearInterval(watcher);
    }
  } finally {
    await services.close();
  }
}
