import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities, ActivityDeps } from './activities.ts';
import { createActivities } from './activities.ts';
import { loadWorkflowBundle } from './workflow-bundle.ts';
import { ensureTemporalRuntime } from './runtime.ts';
import { DEFAULT_WORKER_CONCURRENCY } from '../config.ts';

export interface WorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Where the workflow bundle is cached (the data folder's cache). */
  cacheDir: string;
  /**
   * Activities this worker runs at once (its slots for regular activities, and as many for local ones);
   * default 100, which suits I/O-bound provider calls. `tessera worker --concurrency`, TESSERA_WORKER_CONCURRENCY.
   */
  maxConcurrentActivities?: number;
  /** Run only activities (a worker for a non-default pool). */
  activitiesOnly?: boolean;
}

/**
 * Eager activities: when a workflow task schedules nodes on this worker's own task queue, up to this many of
 * them start on this worker in the reply to the task, without a trip through the server's matching service.
 * The SDK's default is 3, so a fan-out of 16 sent 13 through matching, and each of those is recorded started
 * in a transaction of its own: the 16 began on the worker over 24-40 ms instead of 10-12 (the embedded server
 * already allows eager execution; `bench/fan-out-tuning.ts`, docs/benchmarks.md "Worker tuning"). Wider
 * fan-outs send the rest through matching, where other worker processes can take them.
 */
export const EAGER_ACTIVITIES_PER_TASK = 16;

/**
 * A worker that runs the pipeline workflow and the generic node activity. The sticky queue timeout is
 * short so that, when a worker dies, its runs move to another worker within seconds instead of ten.
 * Poller counts and the workflow cache keep the SDK's defaults: more or fewer pollers measured no
 * different (docs/benchmarks.md, "Worker tuning").
 */
export async function createWorker(options: WorkerOptions): Promise<Worker> {
  ensureTemporalRuntime();
  const activities: Activities = createActivities(options);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities,
    ...(options.activitiesOnly ? {} : { workflowBundle: await loadWorkflowBundle(options.cacheDir) }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? DEFAULT_WORKER_CONCURRENCY,
    maxConcurrentLocalActivityExecutions: options.maxConcurrentActivities ?? DEFAULT_WORKER_CONCURRENCY,
    maxEagerActivityReservationsPerWorkflowTask: EAGER_ACTIVITIES_PER_TASK,
    stickyQueueScheduleToStartTimeout: '1s',
    shutdownGraceTime: '5s',
  });
}
