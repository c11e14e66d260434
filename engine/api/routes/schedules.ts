/**
 * /schedules: runs of a saved pipeline on cron expressions or an interval, backed by Temporal Schedules.
 * The routes only translate HTTP; schedules/service.ts holds the rules (validate, Temporal, store).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ScheduleRecord } from '../../store/types.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import {
  createSchedule, deleteSchedule, describeSchedule, setPaused, triggerSchedule, updateSchedule,
} from '../schedules/service.ts';
import { OVERLAP_POLICIES } from '../schedules/temporal.ts';

// Loose types here on purpose: a malformed cron, interval or timezone is SCHEDULE_INVALID (checked in
// schedules/spec.ts, naming the field), not a generic schema error.
const Cron = z.union([z.string(), z.array(z.string()).min(1).max(20)]).describe('5-field cron expression(s), or @daily, @hourly, ...');
const Interval = z.union([z.string(), z.number()]).describe('"30s", "5m", "1h", "1d", or a number of seconds');
const Inputs = z.record(z.string(), z.unknown()).describe('Pipeline inputs by input name, checked against the pipeline.');

const CreateBody = z.strictObject({
  cron: Cron.optional(),
  interval: Interval.optional(),
  timezone: z.string().optional().describe('IANA time zone of the cron expressions (default UTC).'),
  overlap: z.enum(OVERLAP_POLICIES).optional().describe('What to do when a run is still going at the next time (default skip).'),
  inputs: Inputs.optional(),
  version: z.number().int().positive().optional().describe('Pin a pipeline version; otherwise the latest at each create/update.'),
  paused: z.boolean().optional(),
  note: z.string().max(1000).optional(),
});

const PatchBody = z.strictObject({
  cron: Cron.nullable().optional(),
  interval: Interval.nullable().optional(),
  timezone: z.string().nullable().optional(),
  overlap: z.enum(OVERLAP_POLICIES).optional(),
  inputs: Inputs.optional(),
  version: z.number().int().positive().nullable().optional().describe('null un-pins: the latest version is taken now.'),
  note: z.string().max(1000).nullable().optional(),
});

const Schedule = z.object({
  id: z.string(),
  pipelineId: z.string(),
  version: z.number().nullable(),
  spec: z.object({ cron: z.array(z.string()).optional(), intervals: z.array(z.string()).optional(), timezone: z.string().optional() }),
  overlap: z.enum(OVERLAP_POLICIES),
  inputs: z.record(z.string(), z.unknown()),
  paused: z.boolean(),
  note: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const TemporalView = z.object({
  paused: z.boolean(),
  note: z.string().optional(),
  nextActionTimes: z.array(z.string()),
  recentRuns: z.array(z.object({ runId: z.string(), scheduledAt: z.string(), startedAt: z.string() })),
  runningRunIds: z.array(z.string()),
  numActionsTaken: z.number(),
  numActionsSkippedOverlap: z.number(),
});

const IdParams = z.object({ id: z.string().min(1) });
const One = z.object({ schedule: Schedule });

function view(s: ScheduleRecord): z.infer<typeof Schedule> {
  return {
    id: s.id,
    pipelineId: s.pipelineId,
    version: s.pipelineVersion ?? null,
    spec: s.spec,
    overlap: s.overlap,
    inputs: s.inputs,
    paused: s.paused,
    note: s.note ?? null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

export function schedulesRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['schedules'];

  api.post(
    '/pipelines/:id/schedules',
    { schema: { tags, summary: 'Create a schedule that runs the pipeline.', params: IdParams, body: CreateBody, response: { 201: One } } },
    async (request, reply) => reply.status(201).send({ schedule: view(await createSchedule(deps, request.params.id, request.body)) }),
  );

  api.get(
    '/schedules',
    {
      schema: {
        tags,
        summary: 'List schedules, optionally of one pipeline.',
        querystring: z.object({ pipelineId: z.string().optional() }),
        response: { 200: z.object({ items: z.array(Schedule) }) },
      },
    },
    async (request) => ({ items: (await deps.store.listSchedules(request.query.pipelineId)).map(view) }),
  );

  api.get(
    '/pipelines/:id/schedules',
    { schema: { tags, summary: "The pipeline's schedules.", params: IdParams, response: { 200: z.object({ items: z.array(Schedule) }) } } },
    async (request) => {
      const pipelineId = request.params.id;
      if (!(await deps.store.getPipeline(pipelineId))) throw apiError('PIPELINE_NOT_FOUND', `No pipeline "${pipelineId}".`, { pipelineId });
      return { items: (await deps.store.listSchedules(pipelineId)).map(view) };
    },
  );

  api.get(
    '/schedules/:id',
    {
      schema: {
        tags,
        summary: "A schedule with Temporal's view: next times, recent runs, paused.",
        params: IdParams,
        response: { 200: z.object({ schedule: Schedule, temporal: TemporalView.nullable() }) },
      },
    },
    async (request) => {
      const { record, temporal } = await describeSchedule(deps, request.params.id);
      return { schedule: view(record), temporal };
    },
  );

  api.patch(
    '/schedules/:id',
    { schema: { tags, summary: 'Change the spec, inputs, overlap policy or version.', params: IdParams, body: PatchBody, response: { 200: One } } },
    async (request) => ({ schedule: view(await updateSchedule(deps, request.params.id, request.body)) }),
  );

  api.post(
    '/schedules/:id/pause',
    { schema: { tags, summary: 'Pause: no scheduled runs until resumed.', params: IdParams, response: { 200: One } } },
    async (request) => ({ schedule: view(await setPaused(deps, request.params.id, true)) }),
  );

  api.post(
    '/schedules/:id/resume',
    { schema: { tags, summary: 'Resume a paused schedule.', params: IdParams, response: { 200: One } } },
    async (request) => ({ schedule: view(await setPaused(deps, request.params.id, false)) }),
  );

  api.post(
    '/schedules/:id/trigger',
    {
      schema: {
        tags,
        summary: 'Run now (even when paused); the run appears in /runs with trigger schedule.',
        params: IdParams,
        response: { 202: z.object({ scheduleId: z.string(), triggered: z.literal(true) }) },
      },
    },
    async (request, reply) => {
      await triggerSchedule(deps, request.params.id);
      return reply.status(202).send({ scheduleId: request.params.id, triggered: true as const });
    },
  );

  api.delete(
    '/schedules/:id',
    { schema: { tags, summary: 'Delete the schedule (its past runs stay).', params: IdParams, response: { 204: z.null() } } },
    async (request, reply) => {
      await deleteSchedule(deps, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
