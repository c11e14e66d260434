/** zod schemas of runs and run events as the API returns them (responses and the OpenAPI document). */
import { z } from 'zod';

/** `waiting`: still running, with a node waiting for a person's approval (back to `running` once decided). */
export const RUN_STATUSES = ['running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
/** `pipeline`: the child run of a sub-pipeline node (trigger.id is the parent run). */
export const TRIGGER_TYPES = ['api', 'webhook', 'schedule', 'rerun', 'cli', 'pipeline'] as const;
export const RUN_EVENT_TYPES = ['node.started', 'node.waiting', 'node.progress', 'node.succeeded', 'node.failed', 'node.cancelled', 'node.skipped', 'node.retrying', 'run.finished'] as const;
export const NODE_STATUSES = ['pending', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'skipped'] as const;

export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });

const CodedErrorSchema = z.object({ code: z.string(), message: z.string(), nodeId: z.string().optional(), port: z.string().optional(), details: z.unknown().optional() });

const UsageSchema = z.object({
  provider: z.string(),
  model: z.string(),
  inputTokens: z.number().optional(),
  outputTokens: z.number().optional(),
  audioSeconds: z.number().optional(),
  images: z.number().optional(),
  costUsd: z.number().optional(),
});

export const ApprovalStateSchema = z.object({
  instructions: z.string().optional().describe('What the reviewer is asked to check (the node\'s params).'),
  decision: z.enum(['approved', 'rejected']).optional().describe('Set once decided.'),
  edited: z.boolean().optional().describe('The reviewer replaced the value.'),
  timedOut: z.boolean().optional().describe('The decision was the node\'s onTimeout.'),
  by: z.string().optional().describe('Who decided: the API key\'s name, or the CLI\'s user.'),
  reason: z.string().optional().describe('The rejection\'s reason, or the approval\'s comment.'),
});

export const NodeStateSchema = z.object({
  status: z.enum(NODE_STATUSES).describe('`waiting`: an approval waits for a person, or a delay for its time. `skipped`: on a branch path not taken (it never ran).'),
  cached: z.boolean().optional().describe('Succeeded with outputs from the output cache: the node did not run and nothing was charged.'),
  pinned: z.union([z.literal(true), z.object({ runId: z.string(), nodeId: z.string() })]).optional().describe('Succeeded with pinned values (it did not run): true, or the earlier run and node they were taken from.'),
  attempt: z.number().optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  error: z.object({ message: z.string(), code: z.string().optional(), details: z.unknown().optional().describe('What the node said about the failure (small JSON).') }).optional(),
  usage: z.array(UsageSchema).optional(),
  items: z.object({ total: z.number(), done: z.number(), failed: z.number(), cached: z.number().optional().describe('Items whose outputs came from the output cache (not run, not charged).') }).optional().describe('Mapped nodes: how many items there are, have finished, and failed.'),
  child: z.object({ runId: z.string(), pipelineId: z.string(), version: z.number() }).optional().describe('Sub-pipeline nodes: the child run (GET /runs/{runId}) and the saved version it runs.'),
  waitingUntil: z.string().optional().describe('Waiting nodes: when a delay ends, or an approval times out.'),
  approval: ApprovalStateSchema.optional().describe('Approval nodes: the instructions, then the decision.'),
});

export const UsageTotalsSchema = z.object({
  calls: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  audioSeconds: z.number(),
  images: z.number(),
  costUsd: z.number(),
});

/** How a large value appears in a run (engine/api/runs/record-values.ts); clients resolve it through the blobs endpoint. */
const LARGE_VALUES =
  'A value over 256 KB as JSON (or past 1 MB of inline values per run) is a reference, '
  + '{ "$spilled": { "sha256", "mime", "size" } }: GET /api/v1/blobs/{sha256} returns the value as JSON (size is its byte length). '
  + 'For a list, each item is inline or a reference on its own. Media values are blob references { sha256, mime, size, name? }.';

export const RunSummarySchema = z.object({
  id: z.string().describe('The run id, also the Temporal workflow id.'),
  pipelineId: z.string(),
  pipelineVersion: z.number(),
  pipelineName: z.string(),
  status: z.enum(RUN_STATUSES),
  trigger: z.object({ type: z.enum(TRIGGER_TYPES), id: z.string().optional() }),
  error: CodedErrorSchema.optional().describe('Why the run failed, naming the failing node.'),
  usage: UsageTotalsSchema.optional(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
});

export const RunSchema = RunSummarySchema.extend({
  inputs: z.record(z.string(), z.unknown()).describe(`Input values by name. ${LARGE_VALUES}`),
  outputs: z.record(z.string(), z.unknown()).optional().describe(`Output values by name; set when the run succeeded. ${LARGE_VALUES}`),
  nodes: z.record(z.string(), NodeStateSchema).describe('Per-node status, attempt, times, error and usage.'),
});

export const RunLinks = z.object({ self: z.string(), events: z.string(), cancel: z.string() });

/** The answer to starting, re-running or cancelling a run that has not finished yet. */
export const RunAccepted = z.object({ id: z.string(), status: z.enum(RUN_STATUSES), links: RunLinks });

export const RunEventSchema = z.object({
  seq: z.number(),
  runId: z.string(),
  type: z.enum(RUN_EVENT_TYPES),
  data: z.record(z.string(), z.unknown()),
  at: z.string(),
});

export function runLinks(prefix: string, id: string): z.infer<typeof RunLinks> {
  const self = `${prefix}/runs/${encodeURIComponent(id)}`;
  return { self, events: `${self}/events`, cancel: `${self}/cancel` };
}
