/**
 * Runs: start one of a saved pipeline (JSON or multipart with files, optionally waiting for the outputs),
 * read one, list them (filters, paging), cancel, re-run. Everything is answered from the run index, which
 * the run tracker keeps current; starting and cancelling talk to Temporal.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isActiveRun, type RunRecord } from '../../store/types.ts';
import { restoreSpilled } from '../../worker/spill.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { ErrorBody, RUN_STATUSES, RunAccepted, runLinks, RunSchema, RunSummarySchema, TRIGGER_TYPES } from '../runs/run-schemas.ts';
import { startPipelineRun } from '../runs/run-service.ts';
import { readStartRequest, StartRunBody, WaitSeconds, type StartRunParts } from '../runs/run-start-request.ts';
import { waitForRunEnd } from '../runs/run-wait.ts';

const RunParams = z.object({ id: z.string().min(1).max(200) });
const WaitQuery = z.object({ wait: WaitSeconds.optional() });
const ListQuery = z.object({
  pipelineId: z.string().optional(),
  status: z.enum(RUN_STATUSES).optional(),
  trigger: z.enum(TRIGGER_TYPES).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().optional(),
});
const started = { 200: RunSchema, 202: RunAccepted, 400: ErrorBody, 404: ErrorBody };

export function runsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const prefix = app.prefix;

  api.post(
    '/pipelines/:id/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Start a run: JSON { inputs, version?, wait? }, or multipart with files named after inputs (repeat a field for a list input).',
        consumes: ['application/json', 'multipart/form-data'],
        params: RunParams,
        querystring: WaitQuery,
        body: StartRunBody.nullish(), // absent for multipart: the form is read by the handler
        response: started,
      },
    },
    async (request, reply) => {
      const pipelineId = request.params.id;
      // A refused request keeps none of the files it uploaded (run-form.ts).
      const uploads = deps.blobs.undoLog();
      let parts: StartRunParts;
      let run: RunRecord;
      try {
        parts = await readStartRequest(request, deps, pipelineId, request.query.wait, uploads).catch((err: unknown) => {
          if (request.isMultipart()) reply.header('connection', 'close'); // the client may still be sending files
          throw err;
        });
        run = await startPipelineRun(deps, { pipelineId, version: parts.version, inputs: parts.inputs, trigger: { type: 'api' }, uploads, cache: parts.cache, budgetUsd: parts.budgetUsd, partial: parts.partial });
      } catch (err) {
        uploads.rollback(); // a no-op once the run was recorded
        throw err;
      }
      deps.tracker?.follow(run.id);
      return respondStarted(deps, prefix, reply, run, parts.wait);
    },
  );

  api.get(
    '/runs',
    { schema: { tags: ['runs'], summary: 'Run summaries (no inputs, outputs or node states: GET /runs/:id has them), newest first; filter by pipeline, status and trigger; page with limit and cursor.', querystring: ListQuery, response: { 200: z.object({ items: z.array(RunSummarySchema), nextCursor: z.string().optional() }), 400: ErrorBody } } },
    async (request) => deps.store.listRuns(request.query),
  );

  api.get(
    '/runs/:id',
    { schema: { tags: ['runs'], summary: 'A run: status, per-node states, inputs and outputs (values over 256 KB as { $spilled } references), usage, error, trigger, pipeline id and version.', params: RunParams, response: { 200: RunSchema, 404: ErrorBody } } },
    async (request) => findRun(deps, request.params.id),
  );

  api.post(
    '/runs/:id/cancel',
    { schema: { tags: ['runs'], summary: 'Cancel a running run (its running nodes are cancelled too); 409 when it already finished.', params: RunParams, response: { 202: RunAccepted, 404: ErrorBody, 409: ErrorBody } } },
    async (request, reply) => {
      const run = await findRun(deps, request.params.id);
      if (!isActiveRun(run.status)) throw alreadyFinished(run);
      try {
        await deps.client.workflow.getHandle(run.id).cancel();
      } catch (err) {
        // The workflow closed while the index still said running: the tracker is about to record it.
        if (err instanceof WorkflowNotFoundError) throw alreadyFinished(run);
        throw err;
      }
      deps.tracker?.follow(run.id);
      return reply.status(202).send({ id: run.id, status: run.status, links: runLinks(prefix, run.id) });
    },
  );

  api.post(
    '/runs/:id/rerun',
    { schema: { tags: ['runs'], summary: 'Start the run again: same pipeline version, same inputs (trigger "rerun").', params: RunParams, querystring: WaitQuery, response: started } },
    async (request, reply) => {
      const original = await findRun(deps, request.params.id);
      const run = await startPipelineRun(deps, {
        pipelineId: original.pipelineId,
        version: original.pipelineVersion,
        // The record keeps large inputs as references; the new run gets the values (and spills them again).
        inputs: await restoreSpilled(original.inputs, deps.blobs),
        trigger: { type: 'rerun', id: original.id },
      });
      deps.tracker?.follow(run.id);
      return respondStarted(deps, prefix, reply, run, request.query.wait ?? 0);
    },
  );
}

/** 200 with the finished run when it ends within `wait` seconds, else 202 with where to follow it. */
async function respondStarted(deps: ApiDeps, prefix: string, reply: FastifyReply, run: RunRecord, wait: number) {
  // The response's close before it is sent means the client went away (the request's fires once its body is read).
  const gone = new AbortController();
  const onClose = () => gone.abort();
  reply.raw.once('close', onClose);
  const finished = await waitForRunEnd(deps, run.id, wait, gone.signal).finally(() => reply.raw.off('close', onClose));
  if (finished) return reply.status(200).send(finished);
  const links = runLinks(prefix, run.id);
  return reply.status(202).header('location', links.self).send({ id: run.id, status: 'running' as const, links });
}

async function findRun(deps: ApiDeps, id: string): Promise<RunRecord> {
  const run = await deps.store.getRun(id);
  if (!run) throw apiError('RUN_NOT_FOUND', `No run "${id}".`, { runId: id });
  return run;
}

function alreadyFinished(run: RunRecord) {
  return apiError('RUN_ALREADY_FINISHED', `Run "${run.id}" has already finished (${run.status}); there is nothing to cancel.`, { runId: run.id, status: run.status });
}
