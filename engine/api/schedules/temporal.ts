/**
 * The Temporal side of a schedule: the action it takes (start runPipeline with a compiled plan), the
 * policies, and the mapping of Temporal's errors to coded API errors. A schedule's Temporal state (what
 * fires, paused or not) is the truth; the store keeps the catalogue the API lists.
 */
import { isGrpcServiceError, ScheduleNotFoundError, ScheduleOverlapPolicy, ServiceError, type ScheduleDescription, type ScheduleOptionsAction } from '@temporalio/client';
import { TesseraError } from '../../errors.ts';
import type { RunPipelineInput, RunPlan } from '../../run/plan.ts';
import { RUN_WORKFLOW, runMemo } from '../../run/start.ts';
import type { OverlapPolicy, PipelineVersionRecord } from '../../store/types.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';

export const OVERLAP_POLICIES = ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all'] as const satisfies readonly OverlapPolicy[];

export function toTemporalOverlap(overlap: OverlapPolicy): ScheduleOverlapPolicy {
  return ScheduleOverlapPolicy[overlap.toUpperCase() as Uppercase<OverlapPolicy>];
}

/**
 * Starts RUN_WORKFLOW with the plan. The workflow id is the schedule id; Temporal appends the scheduled
 * time, so every run gets its own id that still says which schedule started it. The memo carries the
 * pipeline and trigger, which the schedule-run poller reads back to index the run.
 */
export function scheduleAction(deps: ApiDeps, scheduleId: string, version: PipelineVersionRecord, plan: RunPlan, inputs: Record<string, unknown>): ScheduleOptionsAction {
  const args: RunPipelineInput = { plan, inputs };
  return {
    type: 'startWorkflow',
    workflowType: RUN_WORKFLOW,
    taskQueue: deps.taskQueue,
    workflowId: scheduleId,
    args: [args],
    memo: runMemo({
      pipelineId: version.pipelineId,
      pipelineVersion: version.version,
      pipelineName: version.document.name,
      trigger: { type: 'schedule', id: scheduleId },
    }),
  };
}

/** True for errors that mean Temporal did not answer (as opposed to refusing the request). */
function unreachable(err: unknown): boolean {
  const grpc = isGrpcServiceError(err) ? err : err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : undefined;
  return grpc !== undefined && (grpc.code === 14 /* UNAVAILABLE */ || grpc.code === 4) /* DEADLINE_EXCEEDED */;
}

/**
 * Errors of create/update: Temporal refusing the spec or action is the client's mistake (SCHEDULE_INVALID),
 * never a 500; only an unreachable server is 503.
 */
export function scheduleWriteError(err: unknown, scheduleId: string): TesseraError {
  if (err instanceof TesseraError) return err;
  if (err instanceof ScheduleNotFoundError) return notFound(scheduleId);
  const message = firstLine(err);
  if (unreachable(err)) return new TesseraError('TEMPORAL_UNREACHABLE', `Temporal did not answer: ${message}`);
  return apiError('SCHEDULE_INVALID', `Temporal refused the schedule: ${message}`, { temporal: message });
}

/** Errors of describe/pause/unpause/trigger/delete. */
export function scheduleCallError(err: unknown, scheduleId: string): TesseraError {
  if (err instanceof TesseraError) return err;
  if (err instanceof ScheduleNotFoundError) return notFound(scheduleId);
  return new TesseraError('TEMPORAL_UNREACHABLE', `Temporal could not complete the schedule request: ${firstLine(err)}`, { cause: err });
}

export function notFound(scheduleId: string): TesseraError {
  return apiError('SCHEDULE_NOT_FOUND', `No schedule "${scheduleId}".`, { scheduleId });
}

function firstLine(err: unknown): string {
  const e = err as Error & { cause?: Error & { details?: string } };
  // ServiceError's own message is generic ("Failed to create schedule"); gRPC's details say why.
  return (e?.cause?.details || e?.cause?.message || e?.message || String(err)).split('\n')[0];
}

/** Temporal's live view of a schedule, as the API shows it. */
export function temporalView(description: ScheduleDescription) {
  return {
    paused: description.state.paused,
    note: description.state.note,
    nextActionTimes: description.info.nextActionTimes.map((d) => d.toISOString()),
    recentRuns: description.info.recentActions.map((a) => ({
      runId: a.action.workflow.workflowId,
      scheduledAt: a.scheduledAt.toISOString(),
      startedAt: a.takenAt.toISOString(),
    })),
    runningRunIds: description.info.runningActions.map((a) => a.workflow.workflowId),
    numActionsTaken: description.info.numActionsTaken,
    numActionsSkippedOverlap: description.info.numActionsSkippedOverlap,
  };
}

/** Deletes the Temporal schedule; an already missing one is fine (deleting is what was wanted). */
export async function deleteTemporalSchedule(deps: ApiDeps, scheduleId: string): Promise<void> {
  try {
    await deps.client.schedule.getHandle(scheduleId).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw scheduleCallError(err, scheduleId);
  }
}
