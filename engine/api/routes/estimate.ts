/**
 * What a run of a saved pipeline may cost, before starting it: `POST /pipelines/:id/estimate` with the
 * inputs the run would get (any may be left out: the answer says what it assumed), the version, and the
 * run's budget and cache mode. Nothing runs and nothing is stored (engine/budget/run-estimate.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { blobAudioSeconds } from '../../budget/measure-audio.ts';
import { estimateRun } from '../../budget/run-estimate.ts';
import { withRunBudget } from '../../budget/run-budget.ts';
import { CACHE_MODES } from '../../cache/cache-policy.ts';
import { codedError } from '../../errors.ts';
import { kindProblem, pipelineInputs } from '../../run/inputs.ts';
import { compilePlan } from '../../run/plan.ts';
import type { ApiDeps } from '../deps.ts';
import { ErrorBody } from '../error-body.ts';
import { validationFailed } from '../errors.ts';
import { loadVersion } from '../runs/run-service.ts';

export const BUDGET_DESCRIPTION = 'The run\'s cost budget in US dollars (instead of the pipeline\'s budget.usd): a provider call whose estimate would take the run over it is refused with BUDGET_EXCEEDED before anything is sent.';

const EstimateBody = z.object({
  inputs: z.record(z.string(), z.unknown()).default({}).describe('Values by input name, as for starting a run; inputs left out are assumed (see assumptions).'),
  version: z.number().int().min(1).optional().describe('Pipeline version (latest when omitted).'),
  budgetUsd: z.number().min(0).max(1_000_000).optional().describe(BUDGET_DESCRIPTION),
  cache: z.enum(CACHE_MODES).optional().describe('The run\'s cache mode: nodes it lets read the output cache count as free in minUsd.'),
});

const Calls = z.object({ min: z.number(), max: z.number() });
const CallEstimateSchema = z.object({
  provider: z.string(),
  model: z.string(),
  operation: z.enum(['chat', 'structured', 'transcribe', 'embed', 'ocr']),
  calls: Calls.describe('How many such calls: at least, at most (an extraction may take a repair turn).'),
  inputTokens: z.number().describe('Per call: text at 4 characters a token, 4 a message, 1,600 an image.'),
  images: z.number(),
  audioSeconds: z.number(),
  maxOutputTokens: z.number().describe('Per call: its output limit (maxTokens, the node\'s maxOutputTokens, else 4,096).'),
  usdPerCall: z.number().optional().describe('One call with its whole output limit.'),
  inputUsdPerCall: z.number().optional().describe('One call\'s input alone.'),
  unpriced: z.enum(['no-vendor', 'not-in-table']).optional(),
});
export const RunEstimateSchema = z.object({
  pipelineName: z.string(),
  currency: z.literal('USD'),
  pricesAsOf: z.string().describe('The date of the price table (engine/providers/prices.json).'),
  minUsd: z.number().describe('Every call\'s input only; nodes the output cache may answer count as free.'),
  maxUsd: z.number().describe('Every call at its whole output limit, repair turns included.'),
  budgetUsd: z.number().optional(),
  withinBudget: z.enum(['yes', 'no', 'maybe']).optional().describe('yes: maxUsd fits; no: even minUsd does not; maybe: in between.'),
  nodes: z.array(z.object({ nodeId: z.string(), type: z.string(), minUsd: z.number(), maxUsd: z.number(), mayBeCached: z.literal(true).optional(), calls: z.array(CallEstimateSchema) })),
  unpriced: z.array(z.object({ nodeId: z.string(), provider: z.string(), model: z.string(), reason: z.enum(['no-vendor', 'not-in-table']) })).describe('Calls left out of the range: no vendor of the price table bills the provider, or the table lacks the model.'),
  assumptions: z.array(z.string()),
});

export function estimateRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.post(
    '/pipelines/:id/estimate',
    {
      schema: {
        tags: ['runs'],
        summary: 'What a run may cost (min and max in USD at list prices, per node and call), before starting it; nothing runs.',
        params: z.object({ id: z.string().min(1).max(200) }),
        body: EstimateBody.nullish(),
        response: { 200: RunEstimateSchema, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const body = request.body ?? { inputs: {} };
      const inputs = body.inputs ?? {};
      const { valid } = await loadVersion(deps, request.params.id, body.version);
      const specs = pipelineInputs(valid);
      const errors = Object.entries(inputs).flatMap(([name, value]) => {
        const spec = specs.find((s) => s.name === name);
        if (!spec) return [codedError('RUN_INPUT_UNKNOWN', `The pipeline has no input "${name}" (inputs: ${specs.map((s) => s.name).join(', ') || 'none'}).`, { details: { input: name } })];
        const problem = kindProblem(value, spec.kind);
        return problem ? [codedError('RUN_INPUT_INVALID', `Input "${name}" must be ${spec.kind}: ${problem}.`, { nodeId: spec.nodeId, details: { input: name } })] : [];
      });
      if (errors.length) throw validationFailed(errors);
      const plan = withRunBudget(compilePlan(valid, deps.taskQueue, 'api', body.cache), body.budgetUsd);
      return estimateRun(valid, plan, inputs, { audioSeconds: blobAudioSeconds(deps.blobs) });
    },
  );
}
