/**
 * `npm run bench:server`: what the embedded server's tuning buys (engine/temporal/dev-server.ts
 * DEV_SERVER_TUNING), side by side in one run: two embedded servers, one started as `temporal server
 * start-dev` defaults and one tuned, each with a worker running the bare 20-activity chain and a round of
 * 20 one-activity workflows started at once, alternating between the servers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../engine/temporal/dev-server.ts';
import { ensureTemporalRuntime } from '../engine/worker/runtime.ts';
import { bareActivities } from './bare-activities.ts';
import type { BareActivities } from './bare-workflow.ts';
import { ms, ratio, stats, table } from './report.ts';

const STEPS = 20;
const ROUND = 20;
const REPS = 5;

interface Side {
  name: string;
  server: DevServer;
  client: Client;
  connection: Connection;
  native: NativeConnection;
  worker: Worker;
  running: Promise<void>;
}

ensureTemporalRuntime();
const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-server-'));
const bundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./bare-workflow.ts', import.meta.url)), logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m), log() {} } });
const activities: BareActivities = { ...bareActivities, sleep: async () => undefined };

async function side(name: string, tuned: boolean): Promise<Side> {
  const server = await startDevServer({ dbFile: path.join(dir, name, 'temporal.db'), port: 0, uiPort: 0, namespace: 'default', ui: false, tuned });
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue: 'bench', workflowBundle: bundle, activities, maxConcurrentActivityTaskExecutions: 100 });
  return { name, server, client: new Client({ connection }), connection, native, worker, running: worker.run() };
}

let n = 0;
async function chain(s: Side): Promise<number> {
  const t0 = performance.now();
  const result = await s.client.workflow.execute('bareChain', { taskQueue: 'bench', workflowId: `chain-${++n}`, args: [STEPS, 'x'] });
  if (result !== 'x') throw new Error('wrong chain result');
  return (performance.now() - t0) / STEPS;
}
async function round(s: Side): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: ROUND }, () => s.client.workflow.execute('bareChain', { taskQueue: 'bench', workflowId: `one-${++n}`, args: [1, 'x'] })));
  return (ROUND * 1000) / (performance.now() - t0);
}

const sides = [await side('defaults', false), await side('tuned', true)];
try {
  const steps = new Map(sides.map((s) => [s.name, [] as number[]]));
  const rps = new Map(sides.map((s) => [s.name, [] as number[]]));
  for (let i = 0; i < REPS + 1; i++) {
    for (const s of sides) {
      const step = await chain(s);
      const perSecond = await round(s);
      if (i === 0) continue; // warm-up
      steps.get(s.name)!.push(step);
      rps.get(s.name)!.push(perSecond);
    }
  }
  const rows = sides.map((s) => {
    const st = stats(steps.get(s.name)!);
    const r = stats(rps.get(s.name)!);
    return [s.name === 'tuned' ? 'Tuned (Tessera\'s embedded server)' : '`temporal server start-dev` defaults', ms(st.mean), ms(st.min), ms(st.max), r.mean.toFixed(1)];
  });
  const [d, t] = sides.map((s) => stats(steps.get(s.name)!).mean);
  const [rd, rt] = sides.map((s) => stats(rps.get(s.name)!).mean);
  console.log(table(['Embedded server', `Step of a ${STEPS}-activity chain, mean`, 'Min', 'Max', `Runs per second (${ROUND} at once)`], rows));
  console.log(`\nStep time, tuned / defaults: ${ratio(t / d)}; runs per second, tuned / defaults: ${ratio(rt / rd)}; load ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}`);
} finally {
  for (const s of sides) {
    s.worker.shutdown();
    await s.running.catch(() => undefined);
    await s.connection.close();
    await s.native.close();
    await s.server.stop();
  }
  rmSync(dir, { recursive: true, force: true });
}
