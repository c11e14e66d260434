/**
 * Schedule operations behind the routes. Every write checks the whole schedule again (pipeline version,
 * inputs, spec), recompiles the plan, changes Temporal first and the store second, and undoes the Temporal
 * change when the store write fails: a schedule is never half saved.
 */
import { randomBytes } from 'node:crypto';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleDescription, type ScheduleUpdateOptions } from '@temporalio/client';
import { resolveRunInputs } from '../../run/inputs.ts';
import { compilePlan } from '../../run/plan.ts';
import { prepareRunInput } from '../../run/run-input.ts';
import type { OverlapPolicy, ScheduleRecord } from '../../store/types.ts';
import type { ApiDeps } from '../deps.ts';
import { validationFailed } from '../errors.ts';
import { checkStoredBlobs, loadVersion } from '../runs/run-service.ts';
import { checkSpec, toSpecRequest, toTemporalSpec, type SpecRequest } from './spec.ts';
import {
  deleteTemporalSchedule, notFound, scheduleAction, scheduleCallError, scheduleWriteError, temporalView, toTemporalOverlap,
} from './temporal.ts';

export interface ScheduleFields extends SpecRequest {
  overlap?: OverlapPolicy;
  inputs?: Record<string, unknown>;
  /** A version pins the schedule; null (on update) un-pins it so each update takes the latest version. */
  version?: number | null;
  paused?: boolean;
  note?: string | null;
}

export function newScheduleId(): string {
  return `sch_${randomBytes(10).toString('hex')}`;
}

/** The pipeline version, checked inputs and compiled plan a schedule's action needs. */
async function prepareAction(deps: ApiDeps, scheduleId: string, pipelineId: string, version: number | undefined, given: Record<string, unknown>) {
  const { record, valid } = await loadVersion(deps, pipelineId, version);
  const resolved = resolveRunInputs(valid, given);
  if (!resolved.ok) throw validationFailed(resolved.errors);
  resolved.inputs = await checkStoredBlobs(deps, valid, resolved.inputs); // as stored, not as claimed
  // The action's args are a workflow input like a run's: large inputs as blob references, size checked.
  const args = await prepareRunInput(compilePlan(valid, deps.taskQueue, 'api'), resolved.inputs, deps.blobs);
  return scheduleAction(deps, scheduleId, record, args.plan, args.inputs);
}

export async function getScheduleOrThrow(deps: ApiDeps, id: string): Promise<ScheduleRecord> {
  const schedule = await deps.store.getSchedule(id);
  if (!schedule) throw notFound(id);
  return schedule;
}

export async function createSchedule(deps: ApiDeps, pipelineId: string, fields: ScheduleFields): Promise<ScheduleRecord> {
  const id = newScheduleId();
  const inputs = fields.inputs ?? {};
  const action = await prepareAction(deps, id, pipelineId, fields.version ?? undefined, inputs); // unknown pipeline: 404 first
  const spec = checkSpec(fields);
  const now = new Date().toISOString();
  const record: ScheduleRecord = {
    id,
    pipelineId,
    ...(fields.version != null ? { pipelineVersion: fields.version } : {}),
    spec,
    overlap: fields.overlap ?? 'skip',
    inputs,
    paused: fields.paused ?? false,
    ...(fields.note != null ? { note: fields.note } : {}),
    createdAt: now,
    updatedAt: now,
  };
  try {
    await deps.client.schedule.create({
      scheduleId: id,
      spec: toTemporalSpec(spec),
      action,
      policies: { overlap: toTemporalOverlap(record.overlap) },
      state: { paused: record.paused, ...(record.note ? { note: record.note } : {}) },
      memo: { pipelineId },
    });
  } catch (err) {
    throw scheduleWriteError(err, id);
  }
  try {
    await deps.store.saveSchedule(record);
  } catch (err) {
    await deleteTemporalSchedule(deps, id).catch((e) => deps.log.error({ err: e, scheduleId: id }, 'could not delete the Temporal schedule of an unsaved schedule'));
    throw err;
  }
  return record;
}

export async function updateSchedule(deps: ApiDeps, id: string, patch: ScheduleFields): Promise<ScheduleRecord> {
  const current = await getScheduleOrThrow(deps, id);
  const specFields: SpecRequest = { ...toSpecRequest(current.spec) };
  for (const key of ['cron', 'interval', 'timezone'] as const) if (patch[key] !== undefined) Object.assign(specFields, { [key]: patch[key] });
  const version = patch.version === undefined ? current.pipelineVersion : (patch.version ?? undefined);
  const next: ScheduleRecord = {
    ...current,
    pipelineVersion: version,
    spec: checkSpec(specFields),
    overlap: patch.overlap ?? current.overlap,
    inputs: patch.inputs ?? current.inputs,
    note: patch.note === undefined ? current.note : (patch.note ?? undefined),
    updatedAt: new Date().toISOString(),
  };
  if (next.pipelineVersion === undefined) delete next.pipelineVersion;
  if (next.note === undefined) delete next.note;
  const action = await prepareAction(deps, id, next.pipelineId, version, next.inputs);

  const handle = deps.client.schedule.getHandle(id);
  let previous: ScheduleDescription | undefined;
  try {
    await handle.update((prev) => {
      previous = prev;
      return {
        spec: toTemporalSpec(next.spec),
        action,
        policies: { ...prev.policies, overlap: toTemporalOverlap(next.overlap) },
        state: { paused: prev.state.paused, note: prev.state.note, remainingActions: prev.state.remainingActions },
      };
    });
  } catch (err) {
    throw scheduleWriteError(err, id);
  }
  try {
    await deps.store.saveSchedule(next);
  } catch (err) {
    const restore = previous as unknown as ScheduleUpdateOptions; // a description is what update() hands back too
    await handle.update(() => restore).catch((e) => deps.log.error({ err: e, scheduleId: id }, 'could not restore a Temporal schedule after a failed save'));
    throw err;
  }
  return next;
}

export async function setPaused(deps: ApiDeps, id: string, paused: boolean): Promise<ScheduleRecord> {
  const current = await getScheduleOrThrow(deps, id);
  const handle = deps.client.schedule.getHandle(id);
  try {
    if (paused) await handle.pause('Paused through the Tessera API.');
    else await handle.unpause('Resumed through the Tessera API.');
  } catch (err) {
    throw scheduleCallError(err, id);
  }
  const next = { ...current, paused, updatedAt: new Date().toISOString() };
  await deps.store.saveSchedule(next);
  return next;
}

/** Runs the schedule's action now. "Now" wins over the overlap policy, even while the schedule is paused. */
export async function triggerSchedule(deps: ApiDeps, id: string): Promise<void> {
  await getScheduleOrThrow(deps, id);
  try {
    await deps.client.schedule.getHandle(id).trigger(ScheduleOverlapPolicy.ALLOW_ALL);
  } catch (err) {
    throw scheduleCallError(err, id);
  }
}

/** The record with Temporal's live view (null when Temporal has no such schedule any more). */
export async function describeSchedule(deps: ApiDeps, id: string) {
  const record = await getScheduleOrThrow(deps, id);
  try {
    return { record, temporal: temporalView(await deps.client.schedule.getHandle(id).describe()) };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return { record, temporal: null };
    throw scheduleCallError(err, id);
  }
}

/** Stops the Temporal schedule first (so nothing fires), then forgets the record. */
export async function deleteSchedule(deps: ApiDeps, id: string): Promise<void> {
  await getScheduleOrThrow(deps, id);
  await deleteTemporalSchedule(deps, id);
  await deps.store.deleteSchedule(id);
}

/**
 * For deleting a pipeline: the store drops its schedule records, but the Temporal schedules would keep
 * firing; call this before store.deletePipeline.
 */
export async function deleteSchedulesOfPipeline(deps: ApiDeps, pipelineId: string): Promise<void> {
  for (const schedule of await deps.store.listSchedules(pipelineId)) await deleteSchedule(deps, schedule.id);
}
