/** Pipelines whose histories are recorded as replay fixtures (see scripts/record-histories.ts). */
import { pipeline } from './temporal-env.ts';

export const recordedPipelines: { name: string; doc: unknown; inputs: Record<string, unknown>; fails?: boolean }[] = [
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
];
