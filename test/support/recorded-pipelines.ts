/** Pipelines whose histories are recorded as replay fixtures (see scripts/record-histories.ts). */
import type { WorkflowHandle } from '@temporalio/client';
import type { SubPipelineSource } from '../../engine/pipeline/sub-pipelines.ts';
import { nodeStatusQuery } from '../../engine/run/start.ts';
import { decideApprovalUpdate } from '../../workflows/contract.ts';
import { pipeline } from './temporal-env.ts';
import { waitFor } from './wait-for.ts';

export interface RecordedPipeline {
  name: string;
  doc: unknown;
  inputs: Record<string, unknown>;
  fails?: boolean;
  /** Saved pipelines its `pipeline` nodes run. */
  subPipelines?: SubPipelineSource;
  /** What the recorder does while the run goes (an approval's decision). */
  during?: (handle: WorkflowHandle) => Promise<void>;
}

const shout = pipeline(
  'shout',
  [
    { id: 'text', type: 'input', params: { name: 'text', kind: 'text' } },
    { id: 'up', type: 'text-template', params: { template: '{{text}}!' } },
    { id: 'loud', type: 'output', params: { name: 'loud' } },
  ],
  ['text.value->up.text', 'up.text->loud.value'],
);

export const recordedPipelines: RecordedPipeline[] = [
  {
    name: 'diamond',
    doc: pipeline(
      'diamond',
      [
        { id: 'src', type: 'input', params: { name: 'text', kind: 'text' } },
        { id: 'tpl', type: 'text-template', params: { template: '<{{t}}>' } },
        { id: 'left', type: 'test-sleep', params: { ms: 200 } },
        { id: 'right', type: 'test-count', params: {} },
        { id: 'merge', type: 'join', params: { separator: '|' } },
        { id: 'out', type: 'output', params: { name: 'joined' } },
      ],
      ['src.value->tpl.t', 'tpl.text->left.in', 'tpl.text->right.in', 'left.out->merge.items', 'right.out->merge.items', 'merge.text->out.value'],
    ),
    inputs: { text: 'hello' },
  },
  {
    name: 'retry-then-fail',
    doc: pipeline(
      'retry-then-fail',
      [
        { id: 'flaky', type: 'test-flaky', params: { failures: 1 } },
        { id: 'slow', type: 'test-sleep', params: { ms: 5000 } },
        { id: 'bad', type: 'test-fail', params: { message: 'no' } },
        { id: 'o1', type: 'output', params: { name: 'a' } },
        { id: 'o2', type: 'output', params: { name: 'b' } },
      ],
      ['flaky.out->bad.in', 'slow.out->o1.value', 'bad.out->o2.value'],
    ),
    inputs: {},
    fails: true,
  },
  {
    // A node error with details and a code its definition never retries (the details ride in the failure).
    name: 'node-error-details',
    doc: pipeline(
      'node-error-details',
      [
        { id: 'q', type: 'test-quota', params: {} },
        { id: 'o', type: 'output', params: { name: 'o' } },
      ],
      ['q.out->o.value'],
    ),
    inputs: {},
    fails: true,
  },
  {
    // A budget that fits one of two parallel calls: one reservation granted (and settled), the other refused.
    name: 'budget-parallel',
    doc: {
      ...(pipeline(
        'budget-parallel',
        [
          { id: 'topic', type: 'input', params: { name: 'topic', kind: 'text' } },
          { id: 'a', type: 'llm', params: { provider: 'priced', model: 'gpt-4o-mini', prompt: 'Branch A: {{t}}', maxTokens: 1000 } },
          { id: 'b', type: 'llm', params: { provider: 'priced', model: 'gpt-4o-mini', prompt: 'Branch B: {{t}}', maxTokens: 1000 } },
          { id: 'oa', type: 'output', params: { name: 'a' } },
          { id: 'ob', type: 'output', params: { name: 'b' } },
        ],
        ['topic.value->a.t', 'topic.value->b.t', 'a.text->oa.value', 'b.text->ob.value'],
      ) as object),
      budget: { usd: 0.001 },
    },
    inputs: { topic: 'tides' },
    fails: true,
  },
  {
    // A budget with room: the call is reserved, made and settled with its actual cost; a node output limit.
    name: 'budget-settled',
    doc: {
      ...(pipeline(
        'budget-settled',
        [
          { id: 'ask', type: 'llm', params: { provider: 'priced', model: 'gpt-4o-mini', prompt: 'Say hi to {{who}}.' }, options: { maxOutputTokens: 50 } },
          { id: 'who', type: 'input', params: { name: 'who', kind: 'text' } },
          { id: 'out', type: 'output', params: { name: 'text' } },
        ],
        ['who.value->ask.who', 'ask.text->out.value'],
      ) as object),
      budget: { usd: 0.01 },
    },
    inputs: { who: 'Ada' },
  },
  {
    // A pinned node (its values given, it does not run) feeding a regular node and a local one (join).
    name: 'pinned-and-local',
    doc: (() => {
      const doc = pipeline(
        'pinned-and-local',
        [
          { id: 'src', type: 'input', params: { name: 'text', kind: 'text' } },
          { id: 'given', type: 'test-count', params: {} },
          { id: 'runs', type: 'test-count', params: {} },
          { id: 'merge', type: 'join', params: { separator: '|' } },
          { id: 'out', type: 'output', params: { name: 'joined' } },
        ],
        ['src.value->given.in', 'given.out->runs.in', 'given.out->merge.items', 'runs.out->merge.items', 'merge.text->out.value'],
      ) as { nodes: { id: string; pinned?: unknown }[] };
      doc.nodes.find((n) => n.id === 'given')!.pinned = { outputs: { out: 'pinned;' } };
      return doc;
    })(),
    inputs: {},
  },
  {
    // Control flow: a small map (in the run's workflow) and a failed item let through.
    name: 'map-inline',
    doc: pipeline(
      'map-inline',
      [
        { id: 'texts', type: 'input', params: { name: 'texts', kind: 'text[]' } },
        { id: 'records', type: 'input', params: { name: 'records', kind: 'json[]' } },
        { id: 'each', type: 'test-sleep', params: { ms: 50 }, map: { port: 'in', concurrency: 2 } },
        { id: 'pick', type: 'json-pick', params: { path: 'name' }, map: { port: 'json', onItemError: 'continue' } },
        { id: 'o1', type: 'output', params: { name: 'texts' } },
        { id: 'o2', type: 'output', params: { name: 'names' } },
        { id: 'o3', type: 'output', params: { name: 'errors' } },
      ],
      ['texts.value->each.in', 'records.value->pick.json', 'each.out->o1.value', 'pick.text->o2.value', 'pick.itemErrors->o3.value'],
    ),
    inputs: { texts: ['a', 'b', 'c'], records: [{ name: 'x' }, {}, { name: 'z' }] },
  },
  {
    // A map past the inline limit: its items run in a runMapBatch child workflow.
    name: 'map-batched',
    doc: pipeline(
      'map-batched',
      [
        { id: 'records', type: 'input', params: { name: 'records', kind: 'json[]' } },
        { id: 'pick', type: 'json-pick', params: { path: 'n' }, map: { port: 'json', concurrency: 20 } },
        { id: 'out', type: 'output', params: { name: 'texts' } },
      ],
      ['records.value->pick.json', 'pick.text->out.value'],
    ),
    inputs: { records: Array.from({ length: 210 }, (_, n) => ({ n })) },
  },
  {
    name: 'branch-merge-delay',
    doc: pipeline(
      'branch-merge-delay',
      [
        { id: 'doc', type: 'input', params: { name: 'doc', kind: 'json' } },
        { id: 'check', type: 'branch', params: { path: 'score', op: 'greater', value: 0.5 } },
        { id: 'yes', type: 'json-pick', params: { path: 'name' } },
        { id: 'no', type: 'json-pick', params: { path: 'name' } },
        { id: 'wait', type: 'delay', params: { kind: 'text', duration: '200ms' } },
        { id: 'either', type: 'merge', params: { kind: 'text' } },
        { id: 'out', type: 'output', params: { name: 'name' } },
        { id: 'skipped', type: 'output', params: { name: 'low' } },
      ],
      ['doc.value->check.value', 'check.then->yes.json', 'check.else->no.json', 'yes.text->wait.value', 'wait.value->either.a', 'no.text->either.b', 'either.value->out.value', 'no.text->skipped.value'],
    ),
    inputs: { doc: { name: 'Ada', score: 0.9 } },
  },
  {
    // An approval decided with an edited value through the update, and one that times out.
    name: 'approvals',
    doc: pipeline(
      'approvals',
      [
        { id: 'draft', type: 'input', params: { name: 'draft', kind: 'json' } },
        { id: 'review', type: 'approval', params: { instructions: 'check' } },
        { id: 'late', type: 'approval', params: { timeout: '300ms', onTimeout: 'approve' } },
        { id: 'o1', type: 'output', params: { name: 'reviewed' } },
        { id: 'o2', type: 'output', params: { name: 'late' } },
      ],
      ['draft.value->review.value', 'draft.value->late.value', 'review.value->o1.value', 'late.value->o2.value'],
    ),
    inputs: { draft: { name: 'Ada' } },
    during: async (handle) => {
      await waitFor(async () => (await handle.query(nodeStatusQuery)).review?.status === 'waiting', { what: 'the approval to wait' });
      await handle.executeUpdate(decideApprovalUpdate, { args: [{ nodeId: 'review', approve: true, value: { name: 'Ada L.' }, by: 'recorder' }] });
    },
  },
  {
    name: 'sub-pipeline',
    doc: pipeline(
      'sub-pipeline',
      [
        { id: 'name', type: 'input', params: { name: 'name', kind: 'text' } },
        { id: 'sub', type: 'pipeline', params: { pipeline: 'shout', version: 1 } },
        { id: 'out', type: 'output', params: { name: 'result' } },
      ],
      ['name.value->sub.text', 'sub.loud->out.value'],
    ),
    inputs: { name: 'hey' },
    subPipelines: { get: (id) => (id === 'shout' ? { id, version: 1, document: shout } : undefined) },
  },
  {
    // Cheap nodes in one local activity (a chain with a fan-in), behind the "cheap-chains" patch.
    name: 'cheap-chain',
    doc: pipeline(
      'cheap-chain',
      [
        { id: 'doc', type: 'input', params: { name: 'doc', kind: 'json' } },
        { id: 'pick', type: 'json-pick', params: { path: 'name' } },
        { id: 'hello', type: 'text-template', params: { template: 'Hello, {{n}}.' } },
        { id: 'shout', type: 'text-template', params: { template: '{{n}}!' } },
        { id: 'both', type: 'join', params: { separator: ' / ' } },
        { id: 'out', type: 'output', params: { name: 'text' } },
      ],
      ['doc.value->pick.json', 'pick.text->hello.n', 'pick.text->shout.n', 'hello.text->both.items', 'shout.text->both.items', 'both.text->out.value'],
    ),
    inputs: { doc: { name: 'Ada' } },
  },
  {
    // A chain whose second node fails: the first's result comes back, the failed node runs again on its own.
    name: 'cheap-chain-fails',
    doc: pipeline(
      'cheap-chain-fails',
      [
        { id: 'doc', type: 'input', params: { name: 'doc', kind: 'json' } },
        { id: 'person', type: 'json-pick', params: { path: 'person' } },
        { id: 'first', type: 'json-pick', params: { path: 'first' } },
        { id: 'out', type: 'output', params: { name: 'first' } },
      ],
      ['doc.value->person.json', 'person.value->first.json', 'first.text->out.value'],
    ),
    inputs: { doc: { person: { last: 'Lovelace' } } },
    fails: true,
  },
];
