import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities, ActivityDeps } from './activities.ts';
import { createActivities } from './activities.ts';
import { loadWorkflowBundle } from './workflow-bundle.ts';
import { ensureTemporalRuntime } from './runtime.ts';

export interface WorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Where the workflow bundle is cached (the data folder's cache). */
  cacheDir: string;
  /** Extra activity slots; the default suits I/O-bound provider calls. */
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
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 100,
    stickyQueueScheduleToStartTimeout: '1s',
    shutdownGraceTime: '5s',
  });
}
