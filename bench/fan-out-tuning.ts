/**
 * `node --import tsx bench/fan-out-tuning.ts`: where the time of a 16 x 500 ms fan-out goes on the embedded
 * server, and what server or worker settings change it (issue 15, "tune the worker from measurements").
 *
 * Runs the bare fan-out workflow (bench/bare-workflow.ts `bareFanOut`) under several variants side by side,
 * alternating between them so that drift in the machine's load affects all alike. A variant is extra
 * dynamic config for the embedded server (on top of DEV_SERVER_TUNING; one server per distinct set) and/or
 * worker options (on top of the ones createWorker sets; one worker and task queue per variant). Each run's
 * history is read back to split its wall time into:
 *
 * - *start → WFT*: the client's start request until the first workflow task starts on the worker;
 * - *WFT → sched*: that task's run (the 16 activities are scheduled when it completes);
 * - *sched → start*: per activity, ActivityTaskScheduled until ActivityTaskStarted (mean and the last of
 *   the 16; 0 for an eager activity, recorded started in the same transaction);
 * - *run - 500*: per activity, ActivityTaskStarted until ActivityTaskCompleted, less the 500 ms it sleeps;
 * - *worker: last begins / ends*: when the last of the 16 began, and ended less 500 ms, on the worker (the
 *   activity notes it), after the first ActivityTaskScheduled;
 * - *last end → last done*: the last end on the worker until the last ActivityTaskCompleted (the 16
 *   completions are recorded one after another);
 * - *last done → closed*: the last activity's completion until the workflow completes (the workflow tasks
 *   that take the 16 results in);
 * - *closed → client*: until the client has the result.
 *
 * BENCH_FANOUT_VARIANTS=current,eager-3,... picks variants (the catalogue is below), BENCH_FANOUT_REPS
 * the runs of each (default 8, after 2 warm-ups), BENCH_FANOUT_WIDTH / BENCH_FANOUT_MS the shape.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { DEV_SERVER_TUNING, startDevServer, type DevServer } from '../engine/temporal/dev-server.ts';
import { EAGER_ACTIVITIES_PER_TASK } from '../engine/worker/create-worker.ts';
import { ensureTemporalRuntime } from '../engine/worker/runtime.ts';
import { loadSettings } from '../engine/config.ts';
import { bareActivities } from './bare-activities.ts';
import type { BareActivities } from './bare-workflow.ts';
import { ms, ratio, stats, table } from './report.ts';

type WorkerTuning = Partial<Pick<WorkerOptions,
  | 'maxConcurrentActivityTaskPolls' | 'activityTaskPollerBehavior' | 'maxConcurrentWorkflowTaskPolls' | 'workflowTaskPollerBehavior'
  | 'maxEagerActivityReservationsPerWorkflowTask' | 'maxCachedWorkflows' | 'maxConcurrentWorkflowTaskExecutions' | 'nonStickyToStickyPollRatio'>>;

interface Variant {
  /** Dynamic config values (KEY=JSON) added to DEV_SERVER_TUNING. */
  server?: string[];
  worker?: WorkerTuning;
  what: string;
}

const PARTITIONS_1 = ['matching.numTaskqueueReadPartitions=1', 'matching.numTaskqueueWritePartitions=1'];
const CATALOGUE: Record<string, Variant> = {
  current: { what: 'as Tessera runs (DEV_SERVER_TUNING, createWorker options)' },
  'eager-3': { worker: { maxEagerActivityReservationsPerWorkflowTask: 3 }, what: 'the SDK default of 3 eager activities (before issue 15)' },
  'eager-0': { worker: { maxEagerActivityReservationsPerWorkflowTask: 0 }, what: 'no eager activities' },
  'eager-100': { worker: { maxEagerActivityReservationsPerWorkflowTask: 100 }, what: '100 eager activities per workflow task' },
  'eager-server': { server: ['system.enableActivityEagerExecution=true'], what: 'eager execution set on the server explicitly' },
  'partitions-1': { server: PARTITIONS_1, what: 'one task-queue partition' },
  'act-polls-16': { worker: { maxConcurrentActivityTaskPolls: 16 }, what: '16 activity pollers' },
  'act-polls-2': { worker: { maxConcurrentActivityTaskPolls: 2 }, what: '2 activity pollers' },
  'act-autoscale': { worker: { activityTaskPollerBehavior: { type: 'autoscaling', minimum: 1, initial: 5, maximum: 100 } }, what: 'autoscaling activity pollers' },
  'wf-polls-4': { worker: { maxConcurrentWorkflowTaskPolls: 4 }, what: '4 workflow pollers' },
  'wf-polls-20': { worker: { maxConcurrentWorkflowTaskPolls: 20 }, what: '20 workflow pollers' },
  'cache-0': { worker: { maxCachedWorkflows: 0 }, what: 'no sticky workflow cache' },
};

const WIDTH = Number(process.env.BENCH_FANOUT_WIDTH ?? 16);
const SLEEP_MS = Number(process.env.BENCH_FANOUT_MS ?? 500);
const REPS = Number(process.env.BENCH_FANOUT_REPS ?? 8);
const WARMUP = 2;
const names = (process.env.BENCH_FANOUT_VARIANTS ?? 'current,eager-3').split(',').map((s) => s.trim()).filter(Boolean);
for (const name of names) if (!CATALOGUE[name]) throw new Error(`unknown variant ${name}; known: ${Object.keys(CATALOGUE).join(', ')}`);

interface Server {
  key: string;
  server: DevServer;
  connection: Connection;
  native: NativeConnection;
  client: Client;
}
interface Side {
  name: string;
  server: Server;
  taskQueue: string;
  worker: Worker;
  running: Promise<void>;
}
interface Sample {
  wall: number;
  load: number;
  startToWft: number;
  wftToSched: number;
  schedToStartMean: number;
  schedToStartMax: number;
  runOverMean: number;
  runOverMax: number;
  lastDoneToClosed: number;
  closedToClient: number;
  workflowTasks: number;
  /** The last activity's start on the worker, after the first ActivityTaskScheduled event. */
  lastBegin: number;
  /** The last activity's end on the worker, after the first ActivityTaskScheduled event, less the sleep. */
  lastEnd: number;
  /** The last activity's end on the worker until the last ActivityTaskCompleted event. */
  endToDone: number;
  /** Activities started in the workflow task's response (started at the time they were scheduled). */
  eager: number;
}

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m), log() {} };
const log = (m: string) => process.stderr.write(`[fan-out-tuning] ${m}\n`);

ensureTemporalRuntime();
const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-fanout-'));
const bundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./bare-workflow.ts', import.meta.url)), logger: quiet });
/** Per workflow: when each sleep activity began and ended on the worker (its clock is the server's: one machine). */
const onWorker = new Map<string, { begin: number; end: number }[]>();
const activities: BareActivities = {
  ...bareActivities,
  sleep: async (t) => {
    const begin = Date.now();
    await sleep(t);
    const id = Context.current().info.workflowExecution?.workflowId ?? '';
    onWorker.set(id, [...(onWorker.get(id) ?? []), { begin, end: Date.now() }]);
  },
};
const servers = new Map<string, Server>();
const sides: Side[] = [];

async function serverFor(extra: string[]): Promise<Server> {
  const key = extra.join(' ');
  const known = servers.get(key);
  if (known) return known;
  // startDevServer spreads DEV_SERVER_TUNING when it builds the command line: add the variant's values for
  // this one start, then put the list back as it was.
  const added = extra.flatMap((value) => ['--dynamic-config-value', value]);
  DEV_SERVER_TUNING.push(...added);
  let server: DevServer;
  try {
    server = await startDevServer({ dbFile: path.join(dir, `s${servers.size}`, 'temporal.db'), port: 0, uiPort: 0, namespace: 'default', ui: false, cliPath: loadSettings().temporal.cliPath });
  } finally {
    DEV_SERVER_TUNING.splice(DEV_SERVER_TUNING.length - added.length, added.length);
  }
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  const s = { key, server, connection, native, client: new Client({ connection, namespace: 'default' }) };
  servers.set(key, s);
  log(`server ${servers.size} on ${server.address}${key ? ` with ${key}` : ''}`);
  return s;
}

const t = (e: temporal.api.history.v1.IHistoryEvent) => Number(e.eventTime!.seconds) * 1000 + (e.eventTime!.nanos ?? 0) / 1e6;
let counter = 0;

async function once(side: Side): Promise<Sample> {
  const load = os.loadavg()[0];
  const t0 = Date.now();
  const handle = await side.server.client.workflow.start('bareFanOut', { taskQueue: side.taskQueue, workflowId: `fan-${side.name}-${++counter}`, args: [WIDTH, SLEEP_MS] });
  const result = await handle.result();
  const t1 = Date.now();
  if (result !== WIDTH) throw new Error('wrong fan-out result');
  const events = (await handle.fetchHistory()).events ?? [];
  const worker = onWorker.get(handle.workflowId) ?? [];
  onWorker.delete(handle.workflowId);
  const wftStarted = events.filter((e) => e.workflowTaskStartedEventAttributes);
  const wftCompleted = events.filter((e) => e.workflowTaskCompletedEventAttributes);
  const scheduled = new Map<number, number>();
  const started = new Map<number, number>();
  const completed: { sched: number; at: number }[] = [];
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes) scheduled.set(Number(e.eventId), t(e));
    if (e.activityTaskStartedEventAttributes) started.set(Number(e.activityTaskStartedEventAttributes.scheduledEventId), t(e));
    if (e.activityTaskCompletedEventAttributes) completed.push({ sched: Number(e.activityTaskCompletedEventAttributes.scheduledEventId), at: t(e) });
  }
  const closed = t(events.find((e) => e.workflowExecutionCompletedEventAttributes)!);
  const schedToStart = [...scheduled].map(([id, at]) => started.get(id)! - at);
  const runOver = completed.map((c) => c.at - started.get(c.sched)! - SLEEP_MS);
  const lastDone = Math.max(...completed.map((c) => c.at));
  const firstSched = Math.min(...scheduled.values());
  return {
    wall: t1 - t0,
    load,
    startToWft: t(wftStarted[0]) - t0,
    wftToSched: firstSched - t(wftStarted[0]),
    schedToStartMean: stats(schedToStart).mean,
    schedToStartMax: Math.max(...schedToStart),
    runOverMean: stats(runOver).mean,
    runOverMax: Math.max(...runOver),
    lastDoneToClosed: closed - lastDone,
    closedToClient: t1 - closed,
    workflowTasks: wftCompleted.length,
    lastBegin: Math.max(...worker.map((w) => w.begin)) - firstSched,
    lastEnd: Math.max(...worker.map((w) => w.end)) - firstSched - SLEEP_MS,
    endToDone: lastDone - Math.max(...worker.map((w) => w.end)),
    eager: schedToStart.filter((d) => d <= 0.5).length,
  };
}

try {
  for (const name of names) {
    const variant = CATALOGUE[name];
    const server = await serverFor(variant.server ?? []);
    const taskQueue = `fan-${name}`;
    // The options createWorker sets (engine/worker/create-worker.ts), then the variant's.
    const worker = await Worker.create({
      connection: server.native,
      namespace: 'default',
      taskQueue,
      workflowBundle: bundle,
      activities,
      maxConcurrentActivityTaskExecutions: 100,
      maxConcurrentLocalActivityExecutions: 100,
      maxEagerActivityReservationsPerWorkflowTask: EAGER_ACTIVITIES_PER_TASK,
      stickyQueueScheduleToStartTimeout: '1s',
      shutdownGraceTime: '5s',
      ...variant.worker,
    });
    sides.push({ name, server, taskQueue, worker, running: worker.run() });
  }
  log(`${names.length} variants, ${WARMUP} warm-up + ${REPS} runs each of ${WIDTH} x ${SLEEP_MS} ms, alternating; load ${os.loadavg()[0].toFixed(1)}`);
  const samples = new Map(sides.map((s) => [s.name, [] as Sample[]]));
  for (let i = 0; i < WARMUP + REPS; i++) {
    for (const side of sides) {
      const sample = await once(side);
      if (i >= WARMUP) samples.get(side.name)!.push(sample);
    }
    log(`round ${i + 1}/${WARMUP + REPS} done, load ${os.loadavg()[0].toFixed(1)}`);
  }
  const mean = (s: Sample[], k: keyof Sample) => stats(s.map((x) => x[k])).mean;
  const base = mean(samples.get(sides[0].name)!, 'wall');
  const rows = sides.map((side) => {
    const s = samples.get(side.name)!;
    const wall = stats(s.map((x) => x.wall));
    const loads = s.map((x) => x.load);
    return [
      `${side.name} (${CATALOGUE[side.name].what})`,
      ms(wall.mean),
      ms(wall.median),
      `${ms(wall.min)} - ${ms(wall.max)}`,
      ratio(wall.mean / SLEEP_MS),
      ratio(wall.mean / base),
      ms(mean(s, 'startToWft')),
      ms(mean(s, 'wftToSched')),
      `${ms(mean(s, 'schedToStartMean'))} / ${ms(mean(s, 'schedToStartMax'))}`,
      `${ms(mean(s, 'runOverMean'))} / ${ms(mean(s, 'runOverMax'))}`,
      `${ms(mean(s, 'lastBegin'))} / ${ms(mean(s, 'lastEnd'))}`,
      ms(mean(s, 'endToDone')),
      ms(mean(s, 'lastDoneToClosed')),
      ms(mean(s, 'closedToClient')),
      mean(s, 'workflowTasks').toFixed(1),
      mean(s, 'eager').toFixed(1),
      `${stats(loads).mean.toFixed(1)} (${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)})`,
    ];
  });
  console.log(table(
    ['Variant', 'Wall, mean', 'Median', 'Range', `/ ideal ${SLEEP_MS} ms`, `/ ${sides[0].name}`, 'start → WFT', 'WFT → sched', 'sched → start, mean / last', `run - ${SLEEP_MS}, mean / max`, `worker: last begins / ends - ${SLEEP_MS}`, 'last end → last done', 'last done → closed', 'closed → client', 'Workflow tasks', 'Eager', 'Load (1 min)'],
    rows,
  ));
  console.log(`\n${new Date().toISOString()}; uptime: ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}`);
} finally {
  for (const side of sides) side.worker.shutdown();
  await Promise.allSettled(sides.map((s) => s.running));
  for (const s of servers.values()) {
    await s.connection.close();
    await s.native.close();
    await s.server.stop();
  }
  rmSync(dir, { recursive: true, force: true });
}
