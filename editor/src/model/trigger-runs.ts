/**
 * Which runs a schedule started, from two sources: the run index (runs with trigger id = the schedule,
 * read a page at a time, newest first) and Temporal's recent actions of the schedule (which name runs a
 * moment before the API's poller indexes them).
 */
import type { ScheduleTemporalView, ScheduleView } from '../../../engine/api/client/client.ts';
import type { RunSummary } from '../../../engine/store/types.ts';

/** A run in a trigger's list: from the run index, or `starting` when Temporal started it and the index has not caught up. */
export type ListedRun = Pick<RunSummary, 'id' | 'startedAt' | 'endedAt' | 'error' | 'pipelineVersion'> & { status: RunSummary['status'] | 'starting' };

/**
 * The runs a schedule started: those the run index has (trigger id = the schedule), and those Temporal
 * reports that the index has not caught up with yet (status `starting`).
 */
export function runsOf(schedule: ScheduleView, temporal: ScheduleTemporalView | null | undefined, page: { items: RunSummary[]; nextCursor?: string }): ListedRun[] {
  const own: ListedRun[] = page.items.filter((r) => r.trigger.id === schedule.id);
  const known = new Set(own.map((r) => r.id));
  // With more pages, a run older than the page's oldest is in the index, just not read.
  const oldest = page.nextCursor ? (page.items.at(-1)?.startedAt ?? '') : '';
  const pending: ListedRun[] = (temporal?.recentRuns ?? [])
    .filter((r) => !known.has(r.runId) && r.startedAt >= oldest)
    .map((r) => ({ id: r.runId, status: 'starting', startedAt: r.startedAt, pipelineVersion: schedule.version ?? 0 }));
  return [...own, ...pending].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
