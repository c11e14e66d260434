/**
 * What `POST /pipelines/:id/runs` asks for, from either body: JSON `{ inputs, version?, wait? }`, or a
 * multipart form whose files become blobs (see run-form.ts). `wait` may also be in the query string.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { BlobUndo } from '../../blob/undo-log.ts';
import type { InputSpec } from '../../run/inputs.ts';
import { pipelineInputs } from '../../run/inputs.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { readRunForm, type RunForm } from './run-form.ts';
import { assertFileInput, formInputs } from './run-form-inputs.ts';
import { loadVersion } from './run-service.ts';
import { MAX_WAIT_SECONDS } from './run-wait.ts';
import { CACHE_MODES, type CacheMode } from '../../cache/cache-policy.ts';
import { BUDGET_DESCRIPTION } from '../routes/estimate.ts';

const waitDescription = `Seconds to wait for the run to finish (at most ${MAX_WAIT_SECONDS}): 200 with the finished run, else 202.`;

/** In the query string (text): coerced. */
export const CACHE_DESCRIPTION =
  'The output cache for this run: auto (deterministic nodes, and provider-backed ones when the pipeline or node says cache: true), on (every cacheable node), refresh (run everything and update the cache), off.';

export const WaitSeconds = z.coerce.number().min(0).max(MAX_WAIT_SECONDS).describe(waitDescription);

export const StartRunBody = z.object({
  inputs: z.record(z.string(), z.unknown()).default({}).describe('Values by input name; media inputs take blob references from POST /blobs.'),
  version: z.number().int().min(1).optional().describe('Pipeline version (latest when omitted).'),
  // In a JSON body a number, not anything that coerces to one (null would read as 0).
  wait: z.number().min(0).max(MAX_WAIT_SECONDS).optional().describe(waitDescription),
  cache: z.enum(CACHE_MODES).optional().describe(CACHE_DESCRIPTION),
  budgetUsd: z.number().min(0).max(1_000_000).optional().describe(BUDGET_DESCRIPTION),
  fromRun: z.string().min(1).max(200).optional().describe('Run from here: the earlier run (of this pipeline) whose outputs upstream of `from` are reused; its inputs are the defaults.'),
  from: z.string().min(1).max(64).optional().describe('Run from here: the node to run again, with everything downstream of it (needs `fromRun`).'),
  to: z.string().min(1).max(64).optional().describe('Run to here: run only this node and what it needs.'),
});

export interface StartRunParts {
  inputs: Record<string, unknown>;
  version?: number;
  wait: number;
  cache?: CacheMode;
  budgetUsd?: number;
  partial?: { fromRun?: string; from?: string; to?: string };
}

/** `undo` receives the form's uploads: the caller rolls it back if the run is not started. */
export async function readStartRequest(request: FastifyRequest, deps: ApiDeps, pipelineId: string, queryWait: number | undefined, undo: BlobUndo): Promise<StartRunParts> {
  if (!request.isMultipart()) {
    // Validated (and defaulted) by the route's body schema; absent when no body was sent.
    const body = (request.body ?? {}) as Partial<z.infer<typeof StartRunBody>>;
    return { inputs: body.inputs ?? {}, version: body.version, wait: body.wait ?? queryWait ?? 0, cache: body.cache, budgetUsd: body.budgetUsd, partial: { fromRun: body.fromRun, from: body.from, to: body.to } };
  }
  // Before reading (and storing) any file: the pipeline must exist.
  if (!(await deps.store.getPipeline(pipelineId))) throw apiError('PIPELINE_NOT_FOUND', `No pipeline "${pipelineId}".`, { pipelineId });
  // The first file fixes the version its name is checked against: the form's `version` if it came first,
  // else the latest, which the run is then pinned to. A `version` field after the files must agree.
  let checked: { version: number; specs: InputSpec[] } | undefined;
  const checkFile = async (input: string, sofar: RunForm) => {
    if (!checked) {
      const { record, valid } = await loadVersion(deps, pipelineId, formVersion(sofar));
      checked = { version: record.version, specs: pipelineInputs(valid) };
    }
    assertFileInput(checked.specs, input);
  };
  const form = await readRunForm(request.parts(), deps, { undo, checkFile });
  const version = formVersion(form) ?? checked?.version;
  if (checked && checked.version !== version) {
    throw apiError('REQUEST_INVALID', `Send the form field "version" before the files: they were checked against version ${checked.version}.`, { field: 'version' });
  }
  const wait = form.wait === undefined ? queryWait : parseField('wait', form.wait, WaitSeconds);
  const { valid } = await loadVersion(deps, pipelineId, version);
  const cache = form.cache === undefined ? undefined : parseField('cache', form.cache, z.enum(CACHE_MODES));
  const budgetUsd = form.budgetUsd === undefined ? undefined : parseField('budgetUsd', form.budgetUsd, z.coerce.number().min(0).max(1_000_000));
  return { inputs: await formInputs(form, pipelineInputs(valid), deps.blobs), version, wait: wait ?? 0, cache, budgetUsd };
}

function formVersion(form: RunForm): number | undefined {
  return form.version === undefined ? undefined : parseField('version', form.version, z.coerce.number().int().min(1));
}

function parseField<T>(name: string, value: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw apiError('REQUEST_INVALID', `Invalid form field "${name}": ${parsed.error.issues[0]?.message ?? 'bad value'}.`, { field: name });
  return parsed.data;
}
