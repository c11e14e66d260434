/**
 * For scale, next to the `tessera` processes: the resident memory of an idle Node.js process and of a bare
 * Temporal worker process (bare-worker-process.mjs) on the same server, each with the memory probe.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { peakRssMiB, rssMiB } from '../proc.ts';
import { probeLines, type ProbeLine } from './probe-lines.ts';

const PROBE = pathToFileURL(fileURLToPath(new URL('../memory-probe.mjs', import.meta.url))).href;
const BARE_WORKER = fileURLToPath(new URL('./bare-worker-process.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ScaleFigure {
  name: string;
  rss: number;
  peak: number;
  probe?: ProbeLine;
}

async function measure(name: string, args: string[], probe: string, waitForReady: boolean): Promise<ScaleFigure> {
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: `--import ${PROBE}`, BENCH_MEMORY_PROBE: probe }, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    if (waitForReady) {
      let err = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', (c: Buffer) => (err += c.toString()).includes('ready\n') && resolve());
        child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${err}`)));
      });
    }
    // Settled and idle, as the tessera processes are when they are first measured.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const pid = child.pid!;
    return { name, rss: rssMiB(pid), peak: peakRssMiB(pid), probe: probeLines(probe, pid).at(-1) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export async function scaleProcesses(address: string, dir: string, probe: string): Promise<ScaleFigure[]> {
  const bundle = path.join(dir, 'bare-bundle.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../bare-workflow.ts', import.meta.url)), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  writeFileSync(bundle, code);
  return [
    await measure('An idle Node.js process (`node -e "setInterval(...)"`)', ['-e', 'setInterval(() => {}, 1000)'], probe, false),
    await measure('A bare Temporal worker process (no Tessera)', [BARE_WORKER, address, `bench-scale-${process.pid}`, bundle], probe, true),
  ];
}
