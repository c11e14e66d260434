/**
 * Temporal starts scheduled runs on its own, so the API never sees them begin. This poller makes them
 * appear in the run index: about once a second it describes every saved schedule, and each recent action
 * whose workflow id is not a known run becomes a RunRecord (trigger `schedule`), handed to the tracker
 * (when there is one) so it follows the run to the end.
 *
 * Temporal keeps a schedule's last 10 actions: at one poll a second nothing is missed unless the API was
 * down through more than 10 firings of one schedule.
 */
import { ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import type { RunPipelineInput } from '../../run/plan.ts';
import type { RunRecord, ScheduleRecord } from '../../store/types.ts';
import type { ApiDeps } from '../deps.ts';

export interface ScheduleRunPoller {
  /** Stops the timer and waits for a poll in progress, so the store can be closed after. */
  stop(): Promise<void>;
}

export function startScheduleRunPoller(deps: ApiDeps, options: { intervalMs?: number } = {}): ScheduleRunPoller {
  const intervalMs = options.intervalMs ?? 1000;
  /** Run ids already indexed, per schedule: the last poll's recent actions (so the store is asked only about new ones). */
  const known = new Map<string, Set<string>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const poll = async (): Promise<void> => {
    const schedules = await deps.store.listSchedules();
    for (const id of known.keys()) if (!schedules.some((s) => s.id === id)) known.delete(id);
    for (const schedule of schedules) {
      if (stopped) return;
      await pollSchedule(schedule).catch((err) => deps.log.warn({ err, scheduleId: schedule.id }, 'could not index the runs of a schedule'));
    }
  };

  const pollSchedule = async (schedule: ScheduleRecord): Promise<void> => {
    let description: ScheduleDescription;
    try {
      description = await deps.client.schedule.getHandle(schedule.id).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return; // deleted in Temporal; the record goes with DELETE
      throw err;
    }
    const seen = known.get(schedule.id) ?? new Set<string>();
    const current = new Set<string>();
    for (const action of description.info.recentActions) {
      const runId = action.action.workflow.workflowId;
      current.add(runId);
      if (seen.has(runId)) continue;
      if (!(await deps.store.getRun(runId))) await indexRun(schedule, description, runId, action.takenAt);
    }
    known.set(schedule.id, current);
  };

  const indexRun = async (schedule: ScheduleRecord, description: ScheduleDescription, runId: string, takenAt: Date): Promise<void> => {
    // The action's memo and args say what Temporal actually runs (the version compiled at the last update),
    // which the record cannot when it follows the latest version.
    const memo = (description.action.memo ?? {}) as Partial<Pick<RunRecord, 'pipelineId' | 'pipelineVersion' | 'pipelineName'>>;
    const args = description.action.args?.[0] as RunPipelineInput | undefined;
    const run: RunRecord = {
      id: runId,
      pipelineId: memo.pipelineId ?? schedule.pipelineId,
      pipelineVersion: memo.pipelineVersion ?? schedule.pipelineVersion ?? 0,
      pipelineName: memo.pipelineName ?? args?.plan.pipelineName ?? '',
      status: 'running',
      trigger: { type: 'schedule', id: schedule.id },
      inputs: args?.inputs ?? schedule.inputs,
      nodes: {},
      startedAt: takenAt.toISOString(),
    };
    try {
      await deps.store.insertRun(run);
    } catch (err) {
      if (await deps.store.getRun(runId)) return; // another API process indexed it first
      throw err;
    }
    deps.metrics.runsStarted.inc({ trigger: 'schedule' });
    deps.tracker?.follow(runId); // the tracker completes the record (status, nodes, outputs)
  };

  const loop = () => {
    if (stopped) return;
    current = poll()
      .catch((err) => deps.log.warn({ err }, 'schedule run poll failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, intervalMs).unref();
      });
  };
  loop();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
