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
 * A worker that runs the pipeline workflow and the generic node activity. The sticky queue timeout is
 * short so that, when a worker dies, its runs move to another worker within seconds instead of ten.
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
    stickyQueueScheduleToStartTimeout: '1s',
    shutdownGraceTime: '5s',
  });
}
